{ pkgs, ... }:
{
  time.timeZone = "UTC";
  services.openssh.enable = true;
  users.users.root.openssh.authorizedKeys.keys = [
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMakeIsoExampleKeyNotReal0000000000000000 me@laptop"
  ];
  environment.systemPackages = with pkgs; [ git tmux htop ];
}
