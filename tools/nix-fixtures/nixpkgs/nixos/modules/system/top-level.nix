# system.build.* (open for any attribute, like NixOS) and the toplevel
# derivation. The toplevel is where assertions fail and warnings print, so
# every image that contains it checks them, as in NixOS.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption types;

  failed = map (a: a.message) (builtins.filter (a: !a.assertion) config.assertions);
  # One thunk, so warnings print once however many results depend on it.
  assertionsHold =
    if failed != [ ] then throw "\nFailed assertions:\n${lib.concatMapStrings (m: "- ${m}\n") failed}"
    else lib.foldr (w: acc: lib.warn w acc) true config.warnings;
  checked = builtins.seq assertionsHold;

  # Image builders read this first, so it is checked too.
  description = checked (import ../../lib/describe.nix { inherit config lib pkgs; });
in
{
  options.system = {
    build = mkOption {
      type = types.submoduleWith {
        modules = [{ freeformType = types.lazyAttrsOf types.raw; }];
      };
      default = { };
      description = "Derivations and data built from the configuration (toplevel, isoImage, ...).";
    };
    path = mkOption { type = types.package; internal = true; description = "The system profile (environment.systemPackages)."; };
    extraSystemBuilderCmds = mkOption {
      type = types.lines;
      default = "";
      description = "Shell commands run at the end of building the toplevel ($out is the toplevel).";
    };
    activationScripts = mkOption {
      type = types.attrsOf (types.either types.str (types.attrsOf types.anything));
      default = { };
      description = "Snippets run when the system is activated (at boot for live images); recorded, never run at build time.";
    };
    extraDependencies = mkOption { type = types.listOf types.package; default = [ ]; description = "Extra store paths in the closure."; };
  };

  config.system.path = pkgs.buildEnv { name = "system-path"; paths = config.environment.systemPackages; };

  config.system.build = {
    # The evaluated configuration as plain data; image builders write it as
    # /nixiso.json so tests can read what was built.
    nixisoDescription = description;

    toplevel = checked (pkgs.runCommand "nixos-system-${config.networking.hostName}-${config.system.nixos.label}"
      {
        description = builtins.toJSON description;
        passAsFile = [ "description" ];
        inherit (config.system.nixos) label;
        systemPath = config.system.path;
        extraDependencies = config.system.extraDependencies;
      }
      ''
        mkdir -p "$out"
        cp "$descriptionPath" "$out/nixiso.json"
        printf '%s' "$label" > "$out/nixos-version"
        ln -s "$systemPath" "$out/sw"
        ${config.system.extraSystemBuilderCmds}
      '');
  };
}
