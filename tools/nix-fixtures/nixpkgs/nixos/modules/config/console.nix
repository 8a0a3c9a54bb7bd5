# console.*, declared as NixOS's config/console.nix (names, types, defaults).
# The stand-in has no kbd, vconsole setup or initrd keymap; what reaches the
# image is what NixOS derives from these options: /etc/vconsole.conf and, for
# a palette, the vt.default_{red,grn,blu} kernel parameters.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
  cfg = config.console;

  # Component i (0 red, 1 green, 2 blue) of each colour, as NixOS's makeColor.
  makeColor = i: lib.concatMapStringsSep "," (x: "0x" + lib.substring (2 * i) 2 x);
in
{
  options.console = {
    enable = mkOption { type = types.bool; default = true; description = "Whether to enable virtual console."; };
    font = mkOption {
      type = types.nullOr (types.either types.str types.path);
      default = null;
      example = "LatArCyrHeb-16";
      description = "The font used for the virtual consoles: null (the kernel's built-in font), a font name, or a path to a PSF font file.";
    };
    keyMap = mkOption {
      type = types.either types.str types.path;
      default = "us";
      example = "fr";
      description = "The keyboard mapping table for the virtual consoles.";
    };
    colors = mkOption {
      type = types.listOf (types.strMatching "[[:xdigit:]]{6}");
      default = [ ];
      example = [
        "002b36" "dc322f" "859900" "b58900" "268bd2" "d33682" "2aa198" "eee8d5"
        "002b36" "cb4b16" "586e75" "657b83" "839496" "6c71c4" "93a1a1" "fdf6e3"
      ];
      description = "The 16 colors palette used by the virtual consoles (hexadecimal, color 0 to color 15); empty for the default colors.";
    };
    packages = mkOption { type = types.listOf types.package; default = [ ]; description = "Additional packages providing console fonts, keymaps and other resources."; };
    useXkbConfig = mkOption {
      type = types.bool;
      default = false;
      description = "If set, configure the virtual console keymap from the xserver keyboard settings (recorded only: the stand-in builds no keymap from xkb).";
    };
    earlySetup = mkOption { type = types.bool; default = false; description = "Enable setting virtual console options as early as possible (in initrd)."; };
  };

  config = lib.mkIf cfg.enable (lib.mkMerge [
    {
      environment.etc."vconsole.conf".text = ''
        KEYMAP=${cfg.keyMap}
        ${lib.optionalString (cfg.font != null) "FONT=${cfg.font}"}
      '';
    }
    (lib.mkIf (cfg.colors != [ ]) {
      boot.kernelParams = [
        "vt.default_red=${makeColor 0 cfg.colors}"
        "vt.default_grn=${makeColor 1 cfg.colors}"
        "vt.default_blu=${makeColor 2 cfg.colors}"
      ];
    })
  ]);
}
