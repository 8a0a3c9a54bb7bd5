# Live USB with my usual tools; built by lib.mkHost plus the installer profile.
{ pkgs, ... }:
{
  imports = [ ../../modules/live-only.nix ];

  nixpkgs.hostPlatform = "x86_64-linux";
  system.stateVersion = "24.05";
  networking.hostName = "helper-live";

  environment.systemPackages = with pkgs; [ ripgrep jq ];
}
