# Installer ISO, see "Building your own NixOS CD" in the NixOS manual.
{ modulesPath, ... }:
{
  imports = [
    (modulesPath + "/installer/cd-dvd/installation-cd-minimal.nix")
    ../../modules/common.nix
    ./tools.nix
  ];

  nixpkgs.hostPlatform = "x86_64-linux";
  system.stateVersion = "24.05";
  networking.hostName = "mp-installer";
}
