{ lib, pkgs, ... }:
{
  # `git-crypt unlock` first; a locked checkout still evaluates, without wifi.
  imports = lib.optional (builtins.pathExists ../../secrets/unlocked) ../../secrets/wifi.nix;

  nixpkgs.hostPlatform = "x86_64-linux";
  system.stateVersion = "24.05";
  networking.hostName = "desk";

  boot.loader.systemd-boot.enable = true;
  fileSystems."/" = { device = "/dev/disk/by-label/nixos"; fsType = "ext4"; };

  networking.wireless.enable = true;
  users.users.grace = { isNormalUser = true; extraGroups = [ "wheel" ]; };
  environment.systemPackages = [ pkgs.firefox ];
}
