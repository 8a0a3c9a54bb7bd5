# sudo nixos-rebuild switch -I nixos-config=hosts/desk/configuration.nix
{ pkgs, ... }:
{
  imports = [ ../../modules/common.nix ];

  nixpkgs.hostPlatform = "x86_64-linux";
  system.stateVersion = "24.05";
  networking.hostName = "desk";

  boot.loader.systemd-boot.enable = true;
  boot.loader.efi.canTouchEfiVariables = true;
  fileSystems."/" = { device = "/dev/disk/by-label/nixos"; fsType = "ext4"; };
  fileSystems."/boot" = { device = "/dev/disk/by-label/boot"; fsType = "vfat"; };

  users.users.bob = {
    isNormalUser = true;
    extraGroups = [ "wheel" "networkmanager" ];
  };
  networking.networkmanager.enable = true;
  environment.systemPackages = [ pkgs.firefox ];
}
