# Base of the installer ISOs: the ISO builder, the `nixos` live user and the
# installer's tools.
{ config, lib, pkgs, ... }:
{
  imports = [
    ./iso-image.nix
    ../../profiles/all-hardware.nix
    ../../profiles/base.nix
    ../../profiles/installation-device.nix
  ];

  config = lib.mkMerge ([{
    isoImage.makeEfiBootable = true;
    isoImage.makeUsbBootable = true;
    system.stateVersion = lib.mkDefault lib.trivial.release;
  }] ++ lib.optional (lib.versionOlder lib.trivial.release "25.05") {
    # Up to 24.11 the profile names the ISO itself, at normal priority: a
    # user's different isoImage.isoName conflicts unless it uses mkForce.
    isoImage.isoName = "${config.isoImage.isoBaseName}-${config.system.nixos.label}-${pkgs.stdenv.hostPlatform.system}.iso";
  });
}
