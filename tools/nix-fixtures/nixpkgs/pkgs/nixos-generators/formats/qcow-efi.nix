# A qcow2 disk image (efi partition table).
{ config, lib, pkgs, modulesPath, ... }:
{
  fileSystems."/" = { device = "/dev/disk/by-label/nixos"; autoResize = true; fsType = "ext4"; };
  boot.growPartition = true;
  boot.kernelParams = [ "console=ttyS0" ];
  boot.loader.grub.efiSupport = true;
  boot.loader.grub.efiInstallAsRemovable = true;
  fileSystems."/boot" = { device = "/dev/disk/by-label/ESP"; fsType = "vfat"; };
  boot.loader.timeout = lib.mkDefault 0;

  system.build.qcow-efi = import "${toString modulesPath}/../lib/make-disk-image.nix" {
    inherit config lib pkgs;
    format = "qcow2";
    partitionTableType = "efi";
    diskSize = config.virtualisation.diskSize;
  };

  formatAttr = "qcow-efi";
  fileExtension = ".qcow2";
}
