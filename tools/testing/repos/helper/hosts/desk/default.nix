{ pkgs, ... }:
{
  nixpkgs.hostPlatform = "x86_64-linux";
  system.stateVersion = "24.05";

  boot.loader.systemd-boot.enable = true;
  fileSystems."/" = { device = "/dev/disk/by-uuid/3f1c2a9e-5b7d-4e0a-9c61-2d8f7e4b1a05"; fsType = "btrfs"; };

  users.users.carol = { isNormalUser = true; extraGroups = [ "wheel" ]; };
  environment.systemPackages = [ pkgs.firefox ];
}
