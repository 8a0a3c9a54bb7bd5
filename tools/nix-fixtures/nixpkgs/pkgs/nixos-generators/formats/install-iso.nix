# The configuration on top of the installer profile.
{ modulesPath, ... }:
{
  imports = [ "${toString modulesPath}/installer/cd-dvd/installation-cd-base.nix" ];
  formatAttr = "isoImage";
  fileExtension = ".iso";
}
