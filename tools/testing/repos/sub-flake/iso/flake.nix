{
  description = "Rescue ISO for my machines";

  inputs.nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";

  outputs = { self, nixpkgs }: {
    # cd iso && nix build .#nixosConfigurations.rescue.config.system.build.isoImage
    nixosConfigurations.rescue = nixpkgs.lib.nixosSystem {
      modules = [
        "${nixpkgs}/nixos/modules/installer/cd-dvd/installation-cd-minimal.nix"
        ../modules/common.nix
        ./rescue.nix
      ];
    };
  };
}
