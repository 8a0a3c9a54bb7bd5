# An aarch64 SD card image (NixOS's sd-image-aarch64 profile), uncompressed.
{ modulesPath, ... }:
{
  imports = [ "${toString modulesPath}/installer/sd-card/sd-image-aarch64.nix" ];
  sdImage.compressImage = false;
  formatAttr = "sdImage";
  fileExtension = ".img";
}
