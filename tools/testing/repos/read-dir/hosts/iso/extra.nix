{ pkgs, ... }:
{
  environment.systemPackages = with pkgs; [ parted rsync tmux ];
  networking.firewall.allowedTCPPorts = [ 22 ];
  services.openssh.enable = true;
}
