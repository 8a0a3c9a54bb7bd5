{ ... }:
{
  imports = [ ./image-base.nix ];

  system.stateVersion = "24.05";
  networking.hostName = "gen-pi";
}
