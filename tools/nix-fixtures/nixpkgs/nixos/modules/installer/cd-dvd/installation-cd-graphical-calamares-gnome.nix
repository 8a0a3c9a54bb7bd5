{ ... }:
{ imports = [ ./installation-cd-graphical-calamares.nix ./installation-cd-graphical-gnome.nix ]; }
