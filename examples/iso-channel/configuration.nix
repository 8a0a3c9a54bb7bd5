{
  pkgs,
  modulesPath,
  ...
}:
{
  # The installer profile sets up everything a bootable NixOS image needs.
  # One import per line: nixiso generators add their imports to this list.
  imports = [
    "${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix"
  ];

  # Change the architecture if the image targets another one.
  nixpkgs.hostPlatform = "x86_64-linux";
  # The release whose defaults the options of this configuration follow.
  system.stateVersion = "24.05";

  # Any other option goes below, as in an ordinary configuration.nix.
  environment.systemPackages = with pkgs; [
    git
    neovim
  ];
}
