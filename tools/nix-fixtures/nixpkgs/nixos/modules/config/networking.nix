{ lib, ... }:
let
  inherit (lib) mkOption mkEnableOption types;
  # As NixOS's firewall.nix: sorted, without duplicates.
  canonicalizePortList = ports: lib.unique (builtins.sort builtins.lessThan ports);
in
{
  options.networking = {
    hostName = mkOption {
      type = types.strMatching "^$|^[[:alnum:]]([[:alnum:]_-]{0,61}[[:alnum:]])?$";
      default = "nixos";
      description = "The host name.";
    };
    domain = mkOption { type = types.nullOr types.str; default = null; description = "Domain name."; };
    hostId = mkOption { type = types.nullOr types.str; default = null; description = "32-bit host id (ZFS)."; };
    useDHCP = mkOption { type = types.bool; default = true; description = "DHCP on all interfaces."; };
    useNetworkd = mkEnableOption "systemd-networkd";
    nameservers = mkOption { type = types.listOf types.str; default = [ ]; description = "DNS servers."; };
    extraHosts = mkOption { type = types.lines; default = ""; description = "/etc/hosts lines."; };
    hosts = mkOption { type = types.attrsOf (types.listOf types.str); default = { }; description = "/etc/hosts entries."; };
    interfaces = mkOption { type = types.attrsOf (types.attrsOf types.anything); default = { }; description = "Interfaces."; };
    proxy.default = mkOption { type = types.nullOr types.str; default = null; description = "Default proxy."; };
    networkmanager.enable = mkEnableOption "NetworkManager";
    networkmanager.plugins = mkOption { type = types.listOf types.package; default = [ ]; description = "NetworkManager plugins."; };
    wireless.enable = mkEnableOption "wpa_supplicant";
    wireless.iwd.enable = mkEnableOption "iwd";
    wireless.userControlled.enable = mkEnableOption "wpa_cli control by users in the wheel group";
    wireless.networks = mkOption { type = types.attrsOf (types.attrsOf types.anything); default = { }; description = "Wireless networks."; };
    firewall = {
      enable = mkOption { type = types.bool; default = true; description = "Whether to enable the firewall."; };
      allowedTCPPorts = mkOption { type = types.listOf types.port; default = [ ]; apply = canonicalizePortList; example = [ 22 80 ]; description = "TCP ports on which incoming connections are accepted."; };
      allowedUDPPorts = mkOption { type = types.listOf types.port; default = [ ]; apply = canonicalizePortList; example = [ 53 ]; description = "UDP ports on which incoming connections are accepted."; };
      allowPing = mkOption { type = types.bool; default = true; description = "Answer pings."; };
      logRefusedConnections = mkOption { type = types.bool; default = true; description = "Log refused connections."; };
      trustedInterfaces = mkOption { type = types.listOf types.str; default = [ ]; description = "Trusted interfaces."; };
    };
  };
}
