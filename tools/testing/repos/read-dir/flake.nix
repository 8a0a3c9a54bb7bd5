{
  description = "Every folder in ./hosts is a machine";

  inputs.nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";

  outputs = inputs@{ self, nixpkgs, ... }: {
    nixosConfigurations = builtins.mapAttrs
      (name: _: nixpkgs.lib.nixosSystem {
        modules = [ ./hosts/${name}/configuration.nix ./modules/common.nix ];
        specialArgs = { inherit inputs; };
      })
      (builtins.readDir ./hosts);
  };
}
