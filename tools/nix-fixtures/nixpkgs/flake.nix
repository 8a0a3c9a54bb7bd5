# Flake view of the fixture nixpkgs, for `--override-input nixpkgs path:…`
# and the offline flake registry. No inputs: everything is in this directory.
{
  description = "nixiso test fixture: a tiny offline stand-in for nixpkgs";

  outputs = { self }:
    let
      lib = import ./lib;
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = lib.genAttrs systems;
    in
    {
      lib = lib // {
        # Like nixpkgs: the label carries the flake's date and revision.
        nixosSystem = args: import ./nixos/lib/eval-config.nix ({
          inherit lib;
          system = null;
        } // builtins.removeAttrs args [ "modules" ] // {
          modules = args.modules ++ [{
            _file = "${self}/flake.nix";
            system.nixos.versionSuffix =
              ".${builtins.substring 0 8 (self.lastModifiedDate or "19700101")}.${self.shortRev or "dirty"}";
            system.nixos.revision = self.rev or null;
          }];
        });
      };

      legacyPackages = forAllSystems (system: import ./. { inherit system; });

      packages = forAllSystems (system: {
        inherit (self.legacyPackages.${system}) nixos-generators;
        default = self.legacyPackages.${system}.hello;
      });

      nixosModules = {
        notDetected = { };
        # The installer profiles, as flake outputs for convenience.
        installation-cd-minimal = ./nixos/modules/installer/cd-dvd/installation-cd-minimal.nix;
      };
    };
}
