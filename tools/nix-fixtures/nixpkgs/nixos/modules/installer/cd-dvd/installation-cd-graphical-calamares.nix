# Adds the Calamares graphical installer to a graphical ISO.
{ pkgs, ... }:
{
  imports = [ ./installation-cd-graphical-base.nix ];
  programs.calamares.enable = true;
  environment.systemPackages = with pkgs; [ calamares-nixos calamares-nixos-extensions glibcLocales ];
}
