# The generic aarch64 SD card image, as NixOS's
# installer/sd-card/sd-image-aarch64.nix: extlinux instead of GRUB and
# serial consoles (the Raspberry Pi firmware and U-Boot are not modelled).
{ lib, ... }:
{
  imports = [ ../../profiles/base.nix ./sd-image.nix ];

  boot.loader.grub.enable = false;
  boot.loader.generic-extlinux-compatible.enable = true;
  boot.consoleLogLevel = lib.mkDefault 7;
  boot.kernelParams = [ "console=ttyS0,115200n8" "console=ttyAMA0,115200n8" "console=tty0" ];
}
