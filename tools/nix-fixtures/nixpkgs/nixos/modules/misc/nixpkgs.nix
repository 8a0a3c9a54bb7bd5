# nixpkgs.* : which package set `pkgs` is, as in NixOS. hostPlatform is the
# modern option; nixpkgs.system is the legacy one that `<nixpkgs/nixos>` and
# `nixosSystem { system = …; }` set at default priority.
{ config, options, lib, ... }:
let
  cfg = config.nixpkgs;
  opt = options.nixpkgs;
  inherit (lib) mkOption types;

  hostPlatform =
    if opt.hostPlatform.isDefined then cfg.hostPlatform
    else if opt.system.isDefined then lib.systems.elaborate cfg.system
    else throw "Neither nixpkgs.hostPlatform nor the legacy option nixpkgs.system has been set.\nYou can set nixpkgs.hostPlatform in hardware-configuration.nix by re-running a recent version of nixos-generate-config.\nThe option nixpkgs.system is still fully supported for NixOS, but here it is not set either.";
in
{
  options.nixpkgs = {
    hostPlatform = mkOption {
      type = types.either types.str types.attrs;
      apply = lib.systems.elaborate;
      example = "x86_64-linux";
      description = "The platform the configuration runs on.";
    };
    buildPlatform = mkOption {
      type = types.either types.str types.attrs;
      apply = lib.systems.elaborate;
      default = cfg.hostPlatform;
      description = "The platform the configuration is built on (cross builds are not modelled).";
    };
    system = mkOption {
      type = types.str;
      example = "x86_64-linux";
      description = "Legacy name of the host platform.";
    };
    config = mkOption {
      type = types.attrsOf types.anything;
      default = { };
      example = { allowUnfree = true; };
      description = "nixpkgs configuration (only allowUnfree has an effect in the fixture).";
    };
    overlays = mkOption {
      type = types.listOf (types.mkOptionType { name = "overlay"; description = "nixpkgs overlay"; check = builtins.isFunction; });
      default = [ ];
      description = "Overlays applied to pkgs.";
    };
    pkgs = mkOption {
      type = types.raw;
      description = "Use this package set instead of importing the fixture's.";
    };
  };

  config._module.args.pkgs =
    if opt.pkgs.isDefined then cfg.pkgs
    else import ../../../pkgs {
      inherit lib;
      system = hostPlatform.system;
      inherit (cfg) config overlays;
    };
}
