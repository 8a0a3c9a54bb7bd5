# Shared by the graphical installer ISOs.
{ lib, pkgs, ... }:
{
  imports = [ ./installation-cd-base.nix ];
  services.xserver.enable = true;
  services.libinput.enable = true;
  networking.networkmanager.enable = true;
  networking.wireless.enable = lib.mkImageMediaOverride false;
  services.pipewire = { enable = lib.mkDefault true; alsa.enable = lib.mkDefault true; pulse.enable = lib.mkDefault true; };
  hardware.bluetooth.enable = true;
  services.displayManager.autoLogin = { enable = true; user = "nixos"; };
  environment.systemPackages = with pkgs; [ gparted firefox ];
}
