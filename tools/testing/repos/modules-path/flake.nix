{
  description = "NixOS configurations for my machines, plus an installer ISO";

  inputs.nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";

  outputs = { self, nixpkgs, ... }: {
    nixosConfigurations = {
      desk = nixpkgs.lib.nixosSystem {
        modules = [ ./hosts/desk ];
      };

      # nix build .#nixosConfigurations.installer.config.system.build.isoImage
      installer = nixpkgs.lib.nixosSystem {
        modules = [ ./hosts/installer ];
      };
    };
  };
}
