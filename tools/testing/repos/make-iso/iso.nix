{ modulesPath, ... }:
{
  imports = [
    "${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix"
    ./modules/common.nix
    ./modules/iso-network.nix
  ];

  system.stateVersion = "24.05";
  networking.hostName = "makeiso-rescue";
}
