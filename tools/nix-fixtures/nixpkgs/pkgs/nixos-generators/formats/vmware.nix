# A vmdk disk image (legacy partition table).
{ config, lib, pkgs, modulesPath, ... }:
{
  fileSystems."/" = { device = "/dev/disk/by-label/nixos"; autoResize = true; fsType = "ext4"; };
  boot.growPartition = true;
  boot.kernelParams = [ "console=ttyS0" ];
  boot.loader.grub.device = lib.mkDefault "/dev/vda";
  boot.loader.timeout = lib.mkDefault 0;

  system.build.vmware = import "${toString modulesPath}/../lib/make-disk-image.nix" {
    inherit config lib pkgs;
    format = "vmdk";
    partitionTableType = "legacy";
    diskSize = config.virtualisation.diskSize;
  };

  formatAttr = "vmware";
  fileExtension = ".vmdk";
}
