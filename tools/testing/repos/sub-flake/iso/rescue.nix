{ pkgs, ... }:
{
  nixpkgs.hostPlatform = "x86_64-linux";
  system.stateVersion = "24.05";
  networking.hostName = "subflake-rescue";

  environment.systemPackages = with pkgs; [ ddrescue testdisk smartmontools ];
  services.openssh.enable = true;
}
