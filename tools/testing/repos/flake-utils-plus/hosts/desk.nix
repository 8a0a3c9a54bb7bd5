{ pkgs, ... }:
{
  nixpkgs.hostPlatform = "x86_64-linux";
  system.stateVersion = "24.05";
  networking.hostName = "desk";

  boot.loader.systemd-boot.enable = true;
  fileSystems."/" = { device = "/dev/disk/by-label/nixos"; fsType = "ext4"; };

  users.users.judy = { isNormalUser = true; extraGroups = [ "wheel" ]; };
  environment.systemPackages = [ pkgs.firefox ];
}
