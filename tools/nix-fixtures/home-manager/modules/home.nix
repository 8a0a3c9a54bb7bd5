# home.*: the user's environment and its activation script. As in
# home-manager, activation is only *written* here (home.activationPackage);
# it runs at boot, so a script that fails at run time never fails the build.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
  cfg = config.home;

  # home.stateVersion's enum (modules/misc/version.nix in home-manager): each
  # release branch lists the releases up to its own (release-24.05 ends at
  # "24.05"; master also has the release in development), so the stand-in
  # accepts those up to release.json's, as that branch would.
  hmRelease = (lib.importJSON ../release.json).release;
  releases = lib.filter (v: builtins.compareVersions v hmRelease <= 0) [
    "18.09" "19.03" "19.09" "20.03" "20.09" "21.03" "21.05" "21.11" "22.05" "22.11"
    "23.05" "23.11" "24.05" "24.11" "25.05" "25.11" "26.05" "26.11"
  ];

  entries = lib.hm.dag.topoSort cfg.activation;

  activate = pkgs.writeTextFile {
    name = "activate";
    executable = true;
    text = ''
      #!/usr/bin/env bash
      # home-manager activation for ${cfg.username} (nixiso fixture). Runs at boot.
      set -eu
      set -o pipefail
      export HOME=${lib.escapeShellArg cfg.homeDirectory}
      run() { if [ -n "''${DRY_RUN:-}" ]; then echo "$@"; else "$@"; fi; }
      verboseEcho() { if [ -n "''${VERBOSE:-}" ]; then echo "$@"; fi; }
      noteEcho() { echo "$@"; }
      errorEcho() { echo "$@" >&2; }
    '' + lib.concatMapStrings (e: "\n# ${e.name}\n${e.data}\n") entries;
  };
in
{
  options.home = {
    username = mkOption { type = types.str; description = "The user's name."; };
    homeDirectory = mkOption { type = types.path; apply = toString; description = "The user's home directory."; };
    stateVersion = mkOption { type = types.enum releases; description = "The home-manager release the configuration is compatible with."; };
    enableNixpkgsReleaseCheck = mkOption { type = types.bool; default = true; description = "Warn on mismatching releases."; };
    packages = mkOption { type = types.listOf types.package; default = [ ]; description = "Packages in the user's profile."; };
    sessionVariables = mkOption { type = types.lazyAttrsOf (types.either types.str (types.either types.int types.path)); default = { }; description = "Session environment variables."; };
    sessionPath = mkOption { type = types.listOf types.str; default = [ ]; description = "Extra PATH entries."; };
    sessionVariablesExtra = mkOption { type = types.lines; default = ""; description = "Extra lines in hm-session-vars.sh."; };
    shellAliases = mkOption { type = types.attrsOf types.str; default = { }; description = "Aliases for all shells."; };
    language = mkOption { type = types.attrsOf types.str; default = { }; description = "Locale settings."; };
    keyboard = mkOption { type = types.nullOr (types.attrsOf types.anything); default = { }; description = "Keyboard settings."; };
    pointerCursor = mkOption { type = types.nullOr (types.attrsOf types.anything); default = null; description = "Cursor theme."; };
    preferXdgDirectories = mkOption { type = types.bool; default = false; description = "Prefer XDG directories."; };
    extraOutputsToInstall = mkOption { type = types.listOf types.str; default = [ ]; description = "Extra outputs."; };
    activation = mkOption {
      type = lib.hm.types.dagOf types.str;
      default = { };
      example = lib.literalExpression ''{ myScript = lib.hm.dag.entryAfter [ "writeBoundary" ] "run echo hi"; }'';
      description = "Activation script snippets, ordered as a DAG. They run at activation (boot), not at build time.";
    };
    # Results, not for users to set.
    activationEntries = mkOption { type = types.raw; internal = true; readOnly = true; description = "home.activation in run order."; };
    activationPackage = mkOption { type = types.package; internal = true; readOnly = true; description = "The generation with bin/activate."; };
    path = mkOption { type = types.package; internal = true; readOnly = true; description = "The profile with home.packages."; };
  };

  config.home = {
    # Built-in steps user scripts are ordered against, as in home-manager.
    activation = {
      checkLinkTargets = lib.hm.dag.entryBefore [ "writeBoundary" ] "# checks that home.file targets are free";
      writeBoundary = lib.hm.dag.entryAnywhere "# state is written after this point";
      linkGeneration = lib.hm.dag.entryAfter [ "writeBoundary" ] "# links home.file into $HOME";
      installPackages = lib.hm.dag.entryAfter [ "writeBoundary" ] "# installs home.packages";
    };
    activationEntries = entries;
    path = pkgs.buildEnv { name = "home-manager-path"; paths = cfg.packages; };
    activationPackage = pkgs.runCommand "home-manager-generation"
      {
        inherit activate;
        homePath = cfg.path;
        files = config.home-files;
      }
      ''
        mkdir -p "$out"
        cp "$activate" "$out/activate"
        ln -s "$homePath" "$out/home-path"
        ln -s "$files" "$out/home-files"
      '';
  };
}
