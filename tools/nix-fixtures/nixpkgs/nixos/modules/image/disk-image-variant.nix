# A disk-image variant for system.build.images (raw, qcow2, vmdk).
{ config, lib, pkgs, ... }:
{
  options.image.format = lib.mkOption {
    type = lib.types.enum [ "raw" "qcow2" "vmdk" "vdi" "vhdx" ];
    default = "raw";
    description = "Disk image format.";
  };
  # Slightly above normal priority: an installer configuration already sets
  # these for its ISO (the file under iso/), and the variant asked for must win.
  config = {
    image.extension = lib.mkOverride 90 ({ raw = "img"; }.${config.image.format} or config.image.format);
    image.filePath = lib.mkOverride 90 config.image.fileName;
    system.build.image = lib.mkOverride 90 (import ../../lib/make-disk-image.nix {
      inherit config lib pkgs;
      format = config.image.format;
      name = config.image.fileName;
    });
  };
}
