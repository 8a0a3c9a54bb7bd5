# Other services that live/installer images commonly switch on. Each is an
# enable flag plus a few typed settings: enough to be recorded and checked.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption mkEnableOption types;
  free = description: mkOption { type = types.attrsOf types.anything; default = { }; inherit description; };
  simple = names: lib.genAttrs names (n: { enable = mkEnableOption n; });
in
{
  options.services = simple [
    "avahi" "fwupd" "udisks2" "upower" "thermald" "tlp" "power-profiles-daemon" "fstrim" "smartd"
    "timesyncd" "chrony" "resolved" "fail2ban" "cron" "journald-remote" "gpm" "kmscon" "earlyoom"
    "zerotierone" "syncthing" "nginx" "caddy" "postgresql" "redis" "docker-registry" "prometheus"
    "grafana" "jellyfin" "samba" "nfs" "rpcbind" "locate" "dbus" "acpid" "irqbalance" "haveged"
    "envfs" "gvfs" "tumbler" "pcscd" "opensnitch" "usbmuxd" "logrotate" "cockpit"
  ] // {
    getty = {
      autologinUser = mkOption { type = types.nullOr types.str; default = null; description = "User logged in on the console automatically."; };
      helpLine = mkOption { type = types.lines; default = ""; description = "Text shown at the login prompt."; };
      greetingLine = mkOption {
        type = types.str;
        # NixOS's default; agetty expands \m (machine) and \l (tty).
        default = "<<< Welcome to ${config.system.nixos.distroName} ${config.system.nixos.label} (\\m) - \\l >>>";
        description = "Greeting.";
      };
    };
    tailscale = {
      enable = mkEnableOption "Tailscale";
      useRoutingFeatures = mkOption { type = types.enum [ "none" "client" "server" "both" ]; default = "none"; description = "Routing features."; };
      authKeyFile = mkOption { type = types.nullOr types.path; default = null; description = "Auth key file."; };
    };
    udev.extraRules = mkOption { type = types.lines; default = ""; description = "udev rules."; };
    udev.packages = mkOption { type = types.listOf types.package; default = [ ]; description = "udev rule packages."; };
    journald.extraConfig = mkOption { type = types.lines; default = ""; description = "journald.conf lines."; };
    logind = free "logind settings.";
    xrdp.enable = mkEnableOption "xrdp";
    xrdp.defaultWindowManager = mkOption { type = types.str; default = "xterm"; description = "xrdp session."; };
  };
}
