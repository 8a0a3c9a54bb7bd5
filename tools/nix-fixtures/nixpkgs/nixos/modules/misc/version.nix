# system.stateVersion and the release/label naming that ISO names are built from.
{ config, lib, ... }:
let
  cfg = config.system.nixos;
  inherit (lib) mkOption types;
in
{
  options.system = {
    stateVersion = mkOption {
      type = types.str;
      default = cfg.release;
      example = "24.05";
      description = "The NixOS release whose defaults stateful data was created with.";
    };
    nixos = {
      release = mkOption { type = types.str; default = lib.trivial.release; readOnly = true; description = "NixOS release."; };
      versionSuffix = mkOption { type = types.str; default = lib.trivial.versionSuffix; description = "Suffix after the release, e.g. .20240630.7dca152."; };
      version = mkOption { type = types.str; default = cfg.release + cfg.versionSuffix; description = "Full NixOS version."; };
      revision = mkOption { type = types.nullOr types.str; default = null; description = "Git revision of nixpkgs."; };
      codeName = mkOption { type = types.str; default = "fixture"; readOnly = true; description = "Release code name."; };
      distroId = mkOption { type = types.str; default = "nixos"; description = "Distribution id."; };
      distroName = mkOption { type = types.str; default = "NixOS"; description = "Distribution name."; };
      tags = mkOption { type = types.listOf types.str; default = [ ]; description = "Strings prefixed to the label."; };
      label = mkOption {
        type = types.strMatching "[a-zA-Z0-9:_.-]*";
        default = lib.concatStringsSep "-" (builtins.sort (x: y: x < y) cfg.tags ++ [ cfg.version ]);
        description = "Label of this generation, used in ISO names.";
      };
    };
    configurationRevision = mkOption { type = types.nullOr types.str; default = null; description = "Git revision of the configuration."; };
  };
}
