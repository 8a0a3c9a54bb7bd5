# i18n.*, declared as NixOS's config/i18n.nix (names, types, defaults). No
# glibc locales are built; /etc/locale.conf and LANG are written as in NixOS.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
  cfg = config.i18n;
in
{
  options.i18n = {
    defaultLocale = mkOption {
      type = types.str;
      default = "en_US.UTF-8";
      example = "nl_NL.UTF-8";
      description = "The default locale (language of messages, formats, sort order, character set).";
    };
    extraLocaleSettings = mkOption {
      type = types.attrsOf types.str;
      default = { };
      example = { LC_MESSAGES = "en_US.UTF-8"; LC_TIME = "de_DE.UTF-8"; };
      description = "Additional system-wide locale settings other than LANG.";
    };
    supportedLocales = mkOption {
      type = types.listOf types.str;
      # NixOS's default: C, en_US and every locale the configuration names, as <locale>/UTF-8.
      default = lib.unique (map
        (l: (builtins.replaceStrings [ "utf8" "utf-8" "UTF8" ] [ "UTF-8" "UTF-8" "UTF-8" ] l) + "/UTF-8")
        ([ "C.UTF-8" "en_US.UTF-8" cfg.defaultLocale ]
          ++ builtins.attrValues (lib.filterAttrs (n: _: n != "LANGUAGE") cfg.extraLocaleSettings)));
      example = [ "en_US.UTF-8/UTF-8" "nl_NL.UTF-8/UTF-8" "nl_NL/ISO-8859-1" ];
      description = "Locales the system supports; \"all\" for every locale glibc supports.";
    };
    inputMethod = mkOption { type = types.attrsOf types.anything; default = { }; description = "Input method settings."; };
  };

  config = {
    environment.sessionVariables = { LANG = cfg.defaultLocale; } // cfg.extraLocaleSettings;
    environment.etc."locale.conf".text = ''
      LANG=${cfg.defaultLocale}
      ${lib.concatStringsSep "\n" (lib.mapAttrsToList (n: v: "${n}=${v}") cfg.extraLocaleSettings)}
    '';
  };
}
