# 25.05+: system.build.images.<variant>, each variant the same configuration
# extended with one image module (what `nixos-rebuild build-image` builds).
{ config, lib, extendModules, ... }:
let
  inherit (lib) mkOption types;
  # Like NixOS, each image carries passthru.filePath (its file in $out),
  # which `nixos-rebuild build-image` reads.
  variant = name: module:
    let
      extended = (extendModules { modules = [ module ]; }).config;
      image = extended.system.build.image;
    in
    image // { passthru = (image.passthru or { }) // { inherit (extended.image) filePath; }; };
in
{
  options.image.modules = mkOption {
    type = types.attrsOf types.deferredModule;
    description = "Image variants; each module must set system.build.image.";
  };

  config.image.modules = {
    iso = ../installer/cd-dvd/iso-image.nix;
    iso-installer = ../installer/cd-dvd/installation-cd-base.nix;
    raw = ./disk-image-variant.nix;
    qcow2 = { imports = [ ./disk-image-variant.nix ]; image.format = "qcow2"; };
    vmware = { imports = [ ./disk-image-variant.nix ]; image.format = "vmdk"; };
  };

  config.system.build.images = lib.mapAttrs variant config.image.modules;
}
