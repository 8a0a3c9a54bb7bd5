{ pkgs, ... }:
{
  time.timeZone = "Europe/Warsaw";
  users.users.root.openssh.authorizedKeys.keys = [
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAISubFlakeExampleKeyNotReal000000000000000 ivan@desk"
  ];
  environment.systemPackages = with pkgs; [ git vim tmux ];
}
