{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption mkEnableOption types;
  cfg = config.services.openssh;
in
{
  options.services.openssh = {
    enable = mkEnableOption "the OpenSSH secure shell daemon";
    package = mkOption { type = types.package; default = pkgs.openssh; description = "OpenSSH package."; };
    ports = mkOption { type = types.listOf types.port; default = [ 22 ]; description = "Ports sshd listens on."; };
    openFirewall = mkOption { type = types.bool; default = true; description = "Open the ports in the firewall."; };
    startWhenNeeded = mkOption { type = types.bool; default = false; description = "Socket activation."; };
    # sshd_config keys, e.g. PermitRootLogin and PasswordAuthentication; the
    # well-known ones are typed like NixOS, the rest are free-form.
    settings = mkOption {
      type = types.submodule {
        freeformType = types.attrsOf (types.nullOr (types.oneOf [ types.bool types.int types.str (types.listOf types.str) ]));
        options = {
          PermitRootLogin = mkOption {
            type = types.enum [ "yes" "without-password" "prohibit-password" "forced-commands-only" "no" ];
            default = "prohibit-password";
            description = "Whether root may log in.";
          };
          PasswordAuthentication = mkOption { type = types.bool; default = true; description = "Password logins."; };
          KbdInteractiveAuthentication = mkOption { type = types.bool; default = true; description = "Keyboard-interactive logins."; };
          X11Forwarding = mkOption { type = types.bool; default = false; description = "X11 forwarding."; };
        };
      };
      default = { };
      description = "sshd_config settings.";
    };
    extraConfig = mkOption { type = types.lines; default = ""; description = "Extra sshd_config lines."; };
    hostKeys = mkOption { type = types.listOf (types.attrsOf types.anything); default = [ ]; description = "Host keys."; };
    authorizedKeysFiles = mkOption { type = types.listOf types.str; default = [ ]; description = "Authorized keys files."; };
  };

  config = lib.mkIf cfg.enable {
    systemd.services.sshd = { description = "SSH Daemon"; wantedBy = [ "multi-user.target" ]; };
    networking.firewall.allowedTCPPorts = lib.mkIf cfg.openFirewall cfg.ports;
  };
}
