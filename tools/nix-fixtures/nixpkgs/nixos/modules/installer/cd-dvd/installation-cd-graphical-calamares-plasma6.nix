{ ... }:
{ imports = [ ./installation-cd-graphical-calamares.nix ./installation-cd-graphical-plasma6.nix ]; }
