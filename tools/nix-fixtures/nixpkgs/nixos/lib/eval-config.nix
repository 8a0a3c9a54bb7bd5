# Evaluates a NixOS configuration against the fixture's modules. Same
# arguments as nixpkgs' eval-config.nix for what our callers use.
{ system ? null # legacy; `nixpkgs.hostPlatform` in the configuration wins
, pkgs ? null
, lib ? import ../../lib
, baseModules ? import ../modules/module-list.nix
, extraModules ? [ ]
, modules
, specialArgs ? { }
, prefix ? [ ]
, check ? true
, ...
}:
let
  legacy =
    lib.optional (system != null) {
      _file = toString ./eval-config.nix;
      key = "nixos-eval-config-legacy-system";
      nixpkgs.system = lib.mkDefault system;
    }
    ++ lib.optional (pkgs != null) {
      _file = toString ./eval-config.nix;
      key = "nixos-eval-config-legacy-pkgs";
      nixpkgs.pkgs = lib.mkForce pkgs;
    };

  eval = lib.evalModules {
    modules = baseModules ++ extraModules ++ legacy ++ modules;
    # A string, not a path: "${modulesPath}/..." must not copy the module
    # tree to the store, so that imports by string and by path deduplicate.
    specialArgs = { modulesPath = toString ../modules; } // specialArgs;
    inherit prefix;
  };
in
eval // { pkgs = eval.config._module.args.pkgs; }
