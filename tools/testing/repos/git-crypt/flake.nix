{
  description = "My machines (secrets/ is encrypted with git-crypt)";

  inputs.nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";

  outputs = { self, nixpkgs }: {
    nixosConfigurations = {
      desk = nixpkgs.lib.nixosSystem {
        modules = [ ./hosts/desk ./modules/common.nix ];
      };
      # Live stick; deliberately has no secrets on it.
      live = nixpkgs.lib.nixosSystem {
        modules = [ ./hosts/live ./modules/common.nix ];
      };
    };
  };
}
