{ pkgs, ... }:
{
  nixpkgs.hostPlatform = "x86_64-linux";
  system.stateVersion = "24.05";
  networking.hostName = "desk";

  boot.loader.grub.device = "/dev/vda";
  fileSystems."/" = { device = "/dev/vda1"; fsType = "ext4"; };

  users.users.heidi = { isNormalUser = true; extraGroups = [ "wheel" ]; };
  environment.systemPackages = [ pkgs.firefox ];
}
