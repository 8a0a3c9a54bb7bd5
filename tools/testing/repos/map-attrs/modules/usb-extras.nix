{ pkgs, ... }:
{
  environment.systemPackages = with pkgs; [ gptfdisk usbutils pciutils ];
  services.getty.autologinUser = "nixos";
}
