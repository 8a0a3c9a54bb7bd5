# fonts.packages and friends as in NixOS (nixos/modules/config/fonts/
# packages.nix). fonts.fonts → fonts.packages and enableDefaultFonts →
# enableDefaultPackages were renamed in 23.11 (nixpkgs #244332) with plain
# mkRenamedOptionModule: an alias that warns, in every release offered.
{ lib, ... }:
let inherit (lib) mkOption types; in
{
  imports = [
    (lib.mkRemovedOptionModule [ "fonts" "enableCoreFonts" ] "Use fonts.packages = [ pkgs.corefonts ]; instead.")
    (lib.mkRenamedOptionModule [ "fonts" "enableDefaultFonts" ] [ "fonts" "enableDefaultPackages" ])
    (lib.mkRenamedOptionModule [ "fonts" "fonts" ] [ "fonts" "packages" ])
  ];

  options.fonts = {
    packages = mkOption {
      type = types.listOf types.path;
      default = [ ];
      example = lib.literalExpression "[ pkgs.dejavu_fonts ]";
      description = "List of primary font packages.";
    };
    # Recorded only: the stand-in does not add NixOS's default font set.
    enableDefaultPackages = mkOption {
      type = types.bool;
      default = false;
      description = "Enable a basic set of fonts providing several styles and families and reasonable coverage of Unicode.";
    };
    fontconfig.enable = mkOption {
      type = types.bool;
      default = true;
      description = "Whether to enable fontconfig.";
    };
  };
}
