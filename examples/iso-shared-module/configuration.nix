{
  pkgs,
  modulesPath,
  ...
}:
{
  # The installer profile sets up everything a bootable NixOS image needs.
  # home.nix holds the home-manager configuration.
  # One import per line: nixiso generators add their imports to this list.
  imports = [
    "${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix"
    ./home.nix
    # module users: this flake is built as git+file:<repo>?dir=examples/iso-shared-module, which sees the whole
    # repository, so a relative path works here too (the module must be tracked: git add it).
    ../modules/users
  ];

  # Change the architecture if the image targets another one.
  nixpkgs.hostPlatform = "x86_64-linux";
  # The release whose defaults the options of this configuration follow.
  system.stateVersion = "24.05";

  # The installer profile only defines the user "nixos"; this one is set up
  # the same way: in wheel, with an empty password on the live system.
  users.users.alice = {
    isNormalUser = true;
    extraGroups = [ "wheel" "networkmanager" ];
    initialHashedPassword = "";
  };

  # Any other option goes below, as in an ordinary configuration.nix.
  environment.systemPackages = with pkgs; [
    git
    neovim
  ];
}
