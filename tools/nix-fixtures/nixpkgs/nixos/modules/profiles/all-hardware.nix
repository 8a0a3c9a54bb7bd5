{ ... }:
{
  boot.initrd.availableKernelModules = [ "ahci" "ata_piix" "nvme" "sd_mod" "usb_storage" "xhci_pci" "virtio_pci" "virtio_blk" ];
  hardware.enableRedistributableFirmware = true;
}
