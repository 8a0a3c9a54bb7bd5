# users.users / users.groups with the assertion NixOS makes about every user:
# exactly one of isNormalUser and isSystemUser. That is what fails when a
# home-manager user is not also created here.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption mkEnableOption types;
  nullStr = description: mkOption { type = types.nullOr types.str; default = null; inherit description; };

  userModule = { name, config, ... }: {
    options = {
      name = mkOption { type = types.passwdEntry types.str; default = name; description = "User name."; };
      isNormalUser = mkEnableOption "a normal (login) user";
      isSystemUser = mkEnableOption "a system user";
      uid = mkOption { type = types.nullOr types.int; default = null; description = "User id."; };
      group = mkOption { type = types.str; default = if config.isNormalUser then "users" else ""; description = "Primary group."; };
      extraGroups = mkOption { type = types.listOf types.str; default = [ ]; description = "Supplementary groups."; };
      description = mkOption { type = types.passwdEntry types.str; default = ""; description = "GECOS field."; };
      home = mkOption {
        type = types.passwdEntry types.path;
        default = if config.isNormalUser then "/home/${config.name}" else "/var/empty";
        description = "Home directory.";
      };
      createHome = mkOption { type = types.bool; default = config.isNormalUser; description = "Create the home directory."; };
      shell = mkOption { type = types.nullOr (types.either types.package types.path); default = null; description = "Login shell."; };
      packages = mkOption { type = types.listOf types.package; default = [ ]; description = "Packages in the user's profile."; };
      password = nullStr "Clear-text password (world-readable in the store).";
      hashedPassword = nullStr "Hashed password.";
      initialPassword = nullStr "Initial clear-text password.";
      initialHashedPassword = nullStr "Initial hashed password.";
      hashedPasswordFile = nullStr "File holding the hashed password.";
      openssh.authorizedKeys.keys = mkOption { type = types.listOf types.singleLineStr; default = [ ]; description = "SSH public keys."; };
      openssh.authorizedKeys.keyFiles = mkOption { type = types.listOf types.path; default = [ ]; description = "Files of SSH public keys."; };
      linger = mkEnableOption "lingering";
      autoSubUidGidRange = mkEnableOption "automatic subuid/subgid ranges";
      subUidRanges = mkOption { type = types.listOf (types.attrsOf types.int); default = [ ]; description = "subuid ranges."; };
      subGidRanges = mkOption { type = types.listOf (types.attrsOf types.int); default = [ ]; description = "subgid ranges."; };
    };
  };
in
{
  options.users = {
    users = mkOption { type = types.attrsOf (types.submodule userModule); default = { }; description = "User accounts."; };
    groups = mkOption {
      type = types.attrsOf (types.submodule ({ name, ... }: {
        options.name = mkOption { type = types.str; default = name; description = "Group name."; };
        options.gid = mkOption { type = types.nullOr types.int; default = null; description = "Group id."; };
        options.members = mkOption { type = types.listOf types.str; default = [ ]; description = "Members."; };
      }));
      default = { };
      description = "Groups.";
    };
    mutableUsers = mkOption { type = types.bool; default = true; description = "Whether users may change at run time."; };
    defaultUserShell = mkOption { type = types.either types.package types.path; default = pkgs.bashInteractive; description = "Default login shell."; };
  };

  config = {
    users.users.root = {
      uid = 0;
      home = "/root";
      group = "root";
      description = "System administrator";
      isSystemUser = lib.mkDefault false;
    };
    users.groups = { root.gid = 0; wheel = { }; users = { }; video = { }; audio = { }; };

    assertions = lib.mapAttrsToList
      (_: u: {
        assertion = u.uid == 0 || (u.isNormalUser != u.isSystemUser);
        message = "Exactly one of users.users.${u.name}.isSystemUser and users.users.${u.name}.isNormalUser must be set.";
      })
      config.users.users;
  };
}
