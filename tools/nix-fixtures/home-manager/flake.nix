# Flake view of the fixture home-manager. The `nixpkgs` input exists so that
# `inputs.nixpkgs.follows = "nixpkgs"` in an image's flake works; the module
# itself uses the system's pkgs and lib. Unfollowed, `nixpkgs` resolves
# through the flake registry (tools/nix-fixtures/registry.json in tests).
{
  description = "nixiso test fixture: a tiny offline stand-in for home-manager";

  inputs.nixpkgs.url = "nixpkgs";

  outputs = { self, nixpkgs }: {
    # A path, so that importing it twice (flake.nix and home.nix) dedups.
    nixosModules.home-manager = ./nixos/default.nix;
    nixosModules.default = self.nixosModules.home-manager;
    lib.hm = import ./modules/lib/default.nix nixpkgs.lib;
  };
}
