# NixOS module, ISO only.
{ lib, pkgs, ... }:
{
  isoImage.isoName = lib.mkForce "fp-iso.iso";
  environment.systemPackages = with pkgs; [ nvme-cli smartmontools ];
}
