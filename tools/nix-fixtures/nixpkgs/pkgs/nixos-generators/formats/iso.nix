# A live ISO of the configuration as it is.
{ modulesPath, ... }:
{
  imports = [ "${toString modulesPath}/installer/cd-dvd/iso-image.nix" ];
  isoImage.makeEfiBootable = true;
  isoImage.makeUsbBootable = true;
  formatAttr = "isoImage";
  fileExtension = ".iso";
}
