# Wifi on the ISO via wpa_supplicant is a pain, use NetworkManager (nmtui).
{ lib, ... }:
{
  networking.wireless.enable = lib.mkForce false;
  networking.networkmanager.enable = true;
}
