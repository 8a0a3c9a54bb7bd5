# flake-parts module: the NixOS configurations of this repo.
{ inputs, ... }:
let
  inherit (inputs.nixpkgs.lib) nixosSystem;
in
{
  flake.nixosConfigurations = {
    desk = nixosSystem {
      modules = [ ../hosts/desk.nix ../modules/common.nix ];
    };

    # nix build .#nixosConfigurations.iso.config.system.build.isoImage
    iso = nixosSystem {
      modules = [ ../hosts/iso.nix ../modules/common.nix ./iso-extras.nix ];
    };
  };
}
