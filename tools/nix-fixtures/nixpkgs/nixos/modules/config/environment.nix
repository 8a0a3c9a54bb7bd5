{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
  envValue = types.either types.str (types.either types.path (types.listOf types.str));
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
    variables = mkOption { type = types.attrsOf envValue; default = { }; description = "Environment variables for all shells."; };
    sessionVariables = mkOption { type = types.attrsOf envValue; default = { }; description = "Environment variables for PAM sessions."; };
    shellAliases = mkOption { type = types.attrsOf types.str; default = { }; description = "Shell aliases."; };
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
}
