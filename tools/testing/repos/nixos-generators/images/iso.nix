{ pkgs, ... }:
{
  imports = [ ./image-base.nix ];

  system.stateVersion = "24.05";
  networking.hostName = "gen-installer";
  environment.systemPackages = with pkgs; [ parted gptfdisk ];
}
