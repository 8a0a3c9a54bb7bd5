{ ... }:
{ imports = [ ./installation-cd-graphical-calamares.nix ./installation-cd-graphical-plasma5.nix ]; }
