# services.xserver.xkb.*: NixOS's types and defaults (nixos/modules/services/
# x11/xserver.nix). The flat names were renamed in 23.11 (nixpkgs #259891)
# with mkRenamedOptionModuleWith { sinceRelease = 2305; }, so every release
# the generator offers (24.05 … unstable) keeps them as aliases that set the
# new option and warn.
{ lib, ... }:
let
  inherit (lib) mkOption types;
  renamed = from: to: lib.mkRenamedOptionModuleWith {
    sinceRelease = 2305;
    from = [ "services" "xserver" from ];
    to = [ "services" "xserver" "xkb" to ];
  };
in
{
  imports = [
    (renamed "layout" "layout")
    (renamed "xkbModel" "model")
    (renamed "xkbOptions" "options")
    (renamed "xkbVariant" "variant")
  ];

  options.services.xserver.xkb = {
    layout = mkOption {
      type = types.str;
      default = "us";
      description = "X keyboard layout, or multiple keyboard layouts separated by commas.";
    };
    model = mkOption {
      type = types.str;
      default = "pc104";
      example = "presario";
      description = "X keyboard model.";
    };
    options = mkOption {
      type = types.commas;
      default = "terminate:ctrl_alt_bksp";
      example = "grp:caps_toggle,grp_led:scroll";
      description = "X keyboard options; layout switching goes here.";
    };
    variant = mkOption {
      type = types.str;
      default = "";
      example = "colemak";
      description = "X keyboard variant.";
    };
  };
}
