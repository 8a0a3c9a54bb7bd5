# Channel entry point (`import <nixpkgs> { }`): the fixture package set.
{ system ? builtins.currentSystem
, localSystem ? { inherit system; }
, crossSystem ? null
, config ? { }
, overlays ? [ ]
, ...
}:
import ./pkgs {
  lib = import ./lib;
  system = localSystem.system or system;
  config = if builtins.isFunction config then config { } else config;
  inherit overlays;
}
