{ lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
  # NixOS's time zone type (config/locale.nix): any string without a space.
  nospace = str: builtins.filter (c: c == " ") (lib.stringToCharacters str) == [ ];
  timezone = types.nullOr (types.addCheck types.str nospace) // { description = "null or string without spaces"; };
in
{
  options = {
    time.timeZone = mkOption { type = timezone; default = null; example = "America/New_York"; description = "The time zone used when displaying times and dates (a tz database name)."; };
    time.hardwareClockInLocalTime = mkOption { type = types.bool; default = false; description = "RTC in local time."; };
    location.provider = mkOption { type = types.enum [ "manual" "geoclue2" ]; default = "manual"; description = "Location provider."; };
  };
}
