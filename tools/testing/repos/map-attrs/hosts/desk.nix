{ pkgs, ... }:
{
  nixpkgs.hostPlatform = "x86_64-linux";
  system.stateVersion = "24.05";
  networking.hostName = "desk";

  boot.loader.grub.device = "/dev/sda";
  fileSystems."/" = { device = "/dev/disk/by-label/root"; fsType = "xfs"; };
  swapDevices = [ { device = "/dev/disk/by-label/swap"; } ];

  users.users.dave = { isNormalUser = true; extraGroups = [ "wheel" "audio" ]; };
  environment.systemPackages = with pkgs; [ firefox ];
}
