# The minimal (text-mode) installer ISO, the article's starting point.
{ lib, ... }:
{
  imports = [
    ./installation-cd-base.nix
    ../../profiles/minimal.nix
  ];
  isoImage.edition = lib.mkDefault "minimal";
}
