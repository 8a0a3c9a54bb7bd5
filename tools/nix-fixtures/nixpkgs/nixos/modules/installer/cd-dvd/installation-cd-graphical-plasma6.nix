{ lib, ... }:
{
  imports = [ ./installation-cd-graphical-base.nix ];
  isoImage.edition = lib.mkDefault "plasma6";
  services.displayManager.sddm = { enable = true; wayland.enable = true; };
  services.desktopManager.plasma6.enable = true;
}
