{
  inputs = {
    # The NixOS release the image is built from.
    nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";
  };

  outputs = { nixpkgs, ... }: {
    # Build with: nix build .#nixosConfigurations.liveImage.config.system.build.isoImage
    nixosConfigurations.liveImage = nixpkgs.lib.nixosSystem {
      modules = [
        ./configuration.nix
      ];
    };
  };
}
