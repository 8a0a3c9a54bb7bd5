{ lib, ... }:
{
  imports = [ ./installation-cd-graphical-base.nix ];
  isoImage.edition = lib.mkDefault "gnome";
  services.xserver.displayManager.gdm = { enable = true; autoSuspend = false; };
  services.xserver.desktopManager.gnome.enable = true;
}
