{ lib, pkgs, ... }:
let inherit (lib) mkOption mkEnableOption types; in
{
  options.nix = {
    enable = mkOption { type = types.bool; default = true; description = "Nix on the system."; };
    package = mkOption { type = types.package; default = pkgs.nix; description = "Nix package."; };
    settings = mkOption {
      type = types.attrsOf types.anything;
      default = { };
      example = { experimental-features = [ "nix-command" "flakes" ]; };
      description = "nix.conf settings.";
    };
    extraOptions = mkOption { type = types.lines; default = ""; description = "Extra nix.conf lines."; };
    nixPath = mkOption { type = types.listOf types.str; default = [ ]; description = "NIX_PATH entries."; };
    registry = mkOption { type = types.attrsOf (types.attrsOf types.anything); default = { }; description = "Flake registry entries."; };
    channel.enable = mkOption { type = types.bool; default = true; description = "nix-channel support."; };
    gc.automatic = mkEnableOption "automatic garbage collection";
    gc.dates = mkOption { type = types.str; default = "03:15"; description = "When to collect garbage."; };
    gc.options = mkOption { type = types.str; default = ""; description = "nix-collect-garbage options."; };
    optimise.automatic = mkEnableOption "store optimisation";
    buildMachines = mkOption { type = types.listOf (types.attrsOf types.anything); default = [ ]; description = "Remote builders."; };
    distributedBuilds = mkEnableOption "distributed builds";
  };
}
