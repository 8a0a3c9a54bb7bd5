{ pkgs, ... }:
{
  imports = [ ../../modules/common.nix ];

  nixpkgs.hostPlatform = "x86_64-linux";
  system.stateVersion = "24.05";
  networking.hostName = "desk";

  boot.loader.grub.device = "/dev/nvme0n1";
  fileSystems."/" = { device = "/dev/disk/by-label/nixos"; fsType = "ext4"; };

  users.users.alice = {
    isNormalUser = true;
    extraGroups = [ "wheel" ];
  };
  environment.systemPackages = [ pkgs.firefox ];
}
