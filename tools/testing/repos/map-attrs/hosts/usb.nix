# Bootable USB stick: nix build .#nixosConfigurations.usb.config.system.build.isoImage
{ modulesPath, ... }:
{
  imports = [ "${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix" ];

  nixpkgs.hostPlatform = "x86_64-linux";
  system.stateVersion = "24.05";
  networking.hostName = "mapattrs-usb";
}
