# users: a NixOS module shared by images (Nx project "users",
# created with `nx g @nixiso:module`).
#
# An image uses it by importing this directory, e.g. from examples/iso-shared-module/configuration.nix:
#
#   imports = [ ../modules/users ];
#
# (`nx g @nixiso:module examples/modules/users --image <project>` adds that line.)
# nixiso reads these imports: `nx graph` shows the dependency and
# `nx affected -t build` rebuilds exactly the images this module reaches.
{ config, lib, pkgs, ... }:

{
  # Settings here are merged into every image that imports the module, e.g.
  #
  #   environment.systemPackages = with pkgs; [ htop tmux ];
  #   services.openssh.enable = true;
  #   users.users.alice = {
  #     isNormalUser = true;
  #     extraGroups = [ "wheel" ];
  #     openssh.authorizedKeys.keyFiles = [ ./keys/alice.pub ];
  #   };
  #
  # To let each image switch it on, declare an option and guard the settings:
  #
  #   options.modules.users.enable = lib.mkEnableOption "users";
  #   config = lib.mkIf config.modules.users.enable { ... };
  #
  # Other modules of the repository are imported the same way:
  #
  #   imports = [ ../another-module ];
}
