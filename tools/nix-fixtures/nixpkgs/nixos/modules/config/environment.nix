{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
  envValue = types.either types.str (types.either types.path (types.listOf types.str));
  toStr = v: if builtins.isPath v then "${v}" else toString v;
in
{
  options.environment = {
    systemPackages = mkOption {
      type = types.listOf types.package;
      default = [ ];
      example = lib.literalExpression "[ pkgs.git pkgs.neovim ]";
      description = "Packages installed in the system profile.";
    };
    defaultPackages = mkOption { type = types.listOf types.package; default = [ ]; description = "Default packages (kept empty in the fixture)."; };
    variables = mkOption {
      type = types.attrsOf (types.oneOf [ (types.listOf (types.oneOf [ types.int types.str types.path ])) types.int types.str types.path ]);
      default = { };
      example = { EDITOR = "nvim"; VISUAL = "nvim"; };
      description = "Environment variables of the global environment (/etc/profile); a list is joined with colons.";
      apply = lib.mapAttrs (_: v: if builtins.isList v then lib.concatMapStringsSep ":" toStr v else toStr v);
    };
    sessionVariables = mkOption { type = types.attrsOf envValue; default = { }; description = "Environment variables for PAM sessions."; };
    shellAliases = mkOption {
      type = types.attrsOf (types.nullOr (types.either types.str types.path));
      example = { l = null; ll = "ls -l"; };
      description = "Aliases added to all users' shells, to command strings or build outputs; null ones are ignored.";
    };
    shells = mkOption { type = types.listOf (types.either types.package types.path); default = [ ]; description = "Allowed login shells."; };
    pathsToLink = mkOption { type = types.listOf types.str; default = [ ]; description = "Profile subdirectories to link."; };
    extraOutputsToInstall = mkOption { type = types.listOf types.str; default = [ ]; description = "Extra outputs to install."; };
    interactiveShellInit = mkOption { type = types.lines; default = ""; description = "Shell init for interactive shells."; };
    loginShellInit = mkOption { type = types.lines; default = ""; description = "Shell init for login shells."; };
    noXlibs = mkOption { type = types.bool; default = false; description = "Build without X libraries."; };
    etc = mkOption {
      type = types.attrsOf (types.submodule ({ name, ... }: {
        options = {
          enable = mkOption { type = types.bool; default = true; description = "Whether to create this file."; };
          target = mkOption { type = types.str; default = name; description = "Path below /etc."; };
          text = mkOption { type = types.nullOr types.lines; default = null; description = "File content."; };
          source = mkOption { type = types.nullOr types.path; default = null; description = "File to link."; };
          mode = mkOption { type = types.str; default = "symlink"; description = "File mode."; };
          user = mkOption { type = types.str; default = "+0"; description = "Owner."; };
          group = mkOption { type = types.str; default = "+0"; description = "Group."; };
        };
      }));
      default = { };
      description = "Files in /etc.";
    };
  };

  config.environment = {
    # As NixOS's shells-environment.nix and bash.nix.
    variables = config.environment.sessionVariables;
    shellAliases = lib.mapAttrs (_: lib.mkDefault) { ls = "ls --color=tty"; ll = "ls -l"; l = "ls -alh"; };
  };
}
