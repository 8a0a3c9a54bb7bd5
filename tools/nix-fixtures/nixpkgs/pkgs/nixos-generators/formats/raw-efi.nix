# A raw disk image (efi partition table).
{ config, lib, pkgs, modulesPath, ... }:
{
  fileSystems."/" = { device = "/dev/disk/by-label/nixos"; autoResize = true; fsType = "ext4"; };
  boot.growPartition = true;
  boot.kernelParams = [ "console=ttyS0" ];
  boot.loader.grub.efiSupport = true;
  boot.loader.grub.efiInstallAsRemovable = true;
  fileSystems."/boot" = { device = "/dev/disk/by-label/ESP"; fsType = "vfat"; };
  boot.loader.timeout = lib.mkDefault 0;

  system.build.raw-efi = import "${toString modulesPath}/../lib/make-disk-image.nix" {
    inherit config lib pkgs;
    format = "raw";
    partitionTableType = "efi";
    diskSize = config.virtualisation.diskSize;
  };

  formatAttr = "raw-efi";
  fileExtension = ".img";
}
