# KDE Plasma 5 installer ISO; NixOS 25.05 dropped Plasma 5 and this profile.
{ lib, ... }:
if lib.versionAtLeast lib.trivial.release "25.05" then
  throw "installation-cd-graphical-plasma5.nix: KDE Plasma 5 was removed in NixOS 25.05; use installation-cd-graphical-plasma6.nix"
else {
  imports = [ ./installation-cd-graphical-base.nix ];
  isoImage.edition = lib.mkDefault "plasma5";
  services.displayManager.sddm.enable = true;
  services.xserver.desktopManager.plasma5.enable = true;
}
