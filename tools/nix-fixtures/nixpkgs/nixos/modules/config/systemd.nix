# systemd units are recorded as data (names appear in /nixiso.json); nothing
# here starts at build time, as on a real system.
{ lib, ... }:
let
  inherit (lib) mkOption types;
  units = description: mkOption { type = types.attrsOf (types.attrsOf types.anything); default = { }; inherit description; };
in
{
  options.systemd = {
    services = units "systemd services.";
    timers = units "systemd timers.";
    sockets = units "systemd sockets.";
    targets = units "systemd targets.";
    mounts = mkOption { type = types.listOf (types.attrsOf types.anything); default = [ ]; description = "systemd mounts."; };
    user.services = units "systemd user services.";
    user.timers = units "systemd user timers.";
    network = mkOption { type = types.attrsOf types.anything; default = { }; description = "systemd-networkd settings."; };
    tmpfiles.rules = mkOption { type = types.listOf types.str; default = [ ]; description = "tmpfiles.d rules."; };
    extraConfig = mkOption { type = types.lines; default = ""; description = "system.conf lines."; };
    packages = mkOption { type = types.listOf types.package; default = [ ]; description = "Packages providing units."; };
  };
}
