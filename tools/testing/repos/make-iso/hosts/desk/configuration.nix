{ pkgs, ... }:
{
  imports = [ ../../modules/common.nix ];

  nixpkgs.hostPlatform = "x86_64-linux";
  system.stateVersion = "24.05";
  networking.hostName = "desk";

  boot.loader.grub.device = "/dev/sda";
  fileSystems."/" = { device = "/dev/sda1"; fsType = "ext4"; };

  services.xserver.enable = true;
  environment.systemPackages = [ pkgs.firefox ];
}
