{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption mkEnableOption types;
  # NixOS's nix.settings type (config/nix.nix): atoms or lists of atoms.
  confAtom = types.nullOr (types.oneOf [ types.bool types.int types.float types.str types.path types.package ])
    // { description = "Nix config atom (null, bool, int, float, str, path or package)"; };
  semanticConfType = types.attrsOf (types.either confAtom (types.listOf confAtom));
in
{
  options.nix = {
    enable = mkOption { type = types.bool; default = true; description = "Nix on the system."; };
    package = mkOption { type = types.package; default = pkgs.nix; description = "Nix package."; };
    settings = mkOption {
      type = types.submodule {
        freeformType = semanticConfType;
        options = {
          max-jobs = mkOption { type = types.either types.int (types.enum [ "auto" ]); default = "auto"; description = "Builds run in parallel."; };
          auto-optimise-store = mkOption { type = types.bool; default = false; description = "Hard-link identical files in the store."; };
          cores = mkOption { type = types.int; default = 0; description = "Cores per build (0: all)."; };
          sandbox = mkOption { type = types.either types.bool (types.enum [ "relaxed" ]); default = true; description = "Build in a sandbox."; };
          extra-sandbox-paths = mkOption { type = types.listOf types.str; default = [ ]; description = "Paths visible in the sandbox."; };
          substituters = mkOption { type = types.listOf types.str; description = "Binary caches."; };
          trusted-substituters = mkOption { type = types.listOf types.str; default = [ ]; description = "Caches unprivileged users may use."; };
          trusted-public-keys = mkOption { type = types.listOf types.str; description = "Keys binary caches sign with."; };
          require-sigs = mkOption { type = types.bool; default = true; description = "Require signed substitutes."; };
          trusted-users = mkOption { type = types.listOf types.str; default = [ "root" ]; description = "Users trusted by the daemon."; };
          system-features = mkOption { type = types.listOf types.str; default = [ "nixos-test" "benchmark" "big-parallel" "kvm" ]; description = "Features this machine's builds offer."; };
          allowed-users = mkOption { type = types.listOf types.str; default = [ "*" ]; description = "Users allowed to connect to the daemon."; };
        };
      };
      default = { };
      example = { experimental-features = [ "nix-command" "flakes" ]; };
      description = "Configuration for Nix (nix.conf): the well-known keys typed, any other key free-form.";
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

  # As NixOS (nix-daemon.nix): the system has the nix command when Nix is enabled.
  config.environment.systemPackages = lib.mkIf config.nix.enable [ config.nix.package ];

  # As NixOS, after anything the configuration adds.
  config.nix.settings = {
    substituters = lib.mkAfter [ "https://cache.nixos.org/" ];
    trusted-public-keys = lib.mkAfter [ "cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=" ];
  };
}
