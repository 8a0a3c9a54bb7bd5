# Live ISO built straight from iso-image.nix (no installer profile):
#   nix-build '<nixpkgs/nixos>' -A config.system.build.isoImage -I nixos-config=images/iso.nix
{ lib, pkgs, ... }:
{
  imports = [
    <nixpkgs/nixos/modules/installer/cd-dvd/iso-image.nix>
    ../modules/common.nix
    ./live-user.nix
  ];

  nixpkgs.hostPlatform = "x86_64-linux";
  system.stateVersion = "24.05";
  networking.hostName = "isonix-live";

  isoImage.isoBaseName = "homelab-live";
  isoImage.makeEfiBootable = true;
  isoImage.makeUsbBootable = true;
}
