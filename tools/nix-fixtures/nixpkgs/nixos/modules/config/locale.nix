{ lib, pkgs, ... }:
let inherit (lib) mkOption types; in
{
  options = {
    time.timeZone = mkOption { type = types.nullOr (types.strMatching "[^ ]*"); default = null; example = "Europe/Berlin"; description = "Time zone."; };
    time.hardwareClockInLocalTime = mkOption { type = types.bool; default = false; description = "RTC in local time."; };
    i18n.defaultLocale = mkOption { type = types.str; default = "en_US.UTF-8"; description = "Default locale."; };
    i18n.extraLocaleSettings = mkOption { type = types.attrsOf types.str; default = { }; description = "LC_* settings."; };
    i18n.supportedLocales = mkOption { type = types.listOf types.str; default = [ "all" ]; description = "Locales to build."; };
    i18n.inputMethod = mkOption { type = types.attrsOf types.anything; default = { }; description = "Input method settings."; };
    console.keyMap = mkOption { type = types.either types.str types.path; default = "us"; description = "Console keymap."; };
    console.font = mkOption { type = types.nullOr (types.either types.str types.path); default = null; description = "Console font."; };
    console.packages = mkOption { type = types.listOf types.package; default = [ ]; description = "Console font packages."; };
    console.earlySetup = mkOption { type = types.bool; default = false; description = "Set up the console in the initrd."; };
    console.useXkbConfig = mkOption { type = types.bool; default = false; description = "Use the X keymap on the console."; };
    fonts.packages = mkOption { type = types.listOf types.package; default = [ ]; description = "Font packages."; };
    fonts.fontconfig.enable = mkOption { type = types.bool; default = true; description = "fontconfig."; };
    fonts.enableDefaultPackages = mkOption { type = types.bool; default = false; description = "Default fonts."; };
    location.provider = mkOption { type = types.enum [ "manual" "geoclue2" ]; default = "manual"; description = "Location provider."; };
  };
}
