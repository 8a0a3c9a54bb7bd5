# users.users / users.groups with the assertion NixOS makes about every user:
# exactly one of isNormalUser and isSystemUser. That is what fails when a
# home-manager user is not also created here. Login shells as in NixOS's
# users-groups.nix: `shell` (default pkgs.shadow, users.defaultUserShell for
# normal users and root), the shells installed in the system profile, and
# the assertion that a zsh or fish user has programs.<shell>.enable.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption mkEnableOption types;
  cfg = config.users;
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
      shell = mkOption {
        type = types.nullOr (types.either types.shellPackage (types.passwdEntry types.path));
        default = if config.useDefaultShell then cfg.defaultUserShell else pkgs.shadow;
        example = lib.literalExpression "pkgs.bashInteractive";
        description = "The user's login shell: a shell package (its shellPath under /run/current-system/sw) or a path.";
      };
      useDefaultShell = mkOption {
        type = types.bool;
        default = config.isNormalUser;
        description = "Whether the user's shell is users.defaultUserShell.";
      };
      ignoreShellProgramCheck = mkOption {
        type = types.bool;
        default = false;
        description = "Skip the check that programs.<shell>.enable is set for the user's shell.";
      };
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
    defaultUserShell = mkOption {
      type = types.either types.path types.shellPackage;
      default = pkgs.bashInteractive;
      example = lib.literalExpression "pkgs.zsh";
      description = "Default login shell of normal users and root: a shell package or a path outside the store.";
    };
  };

  config = {
    users.users.root = {
      uid = 0;
      home = "/root";
      group = "root";
      description = "System administrator";
      isSystemUser = lib.mkDefault false;
      shell = lib.mkDefault cfg.defaultUserShell;
    };
    users.groups = { root.gid = 0; wheel = { }; users = { }; video = { }; audio = { }; };

    # As NixOS: every user's shell package is installed.
    environment.systemPackages = builtins.filter types.shellPackage.check
      (lib.mapAttrsToList (_: u: u.shell) cfg.users);

    assertions = lib.mapAttrsToList
      (_: u: {
        assertion = u.uid == 0 || (u.isNormalUser != u.isSystemUser);
        message = "Exactly one of users.users.${u.name}.isSystemUser and users.users.${u.name}.isNormalUser must be set.";
      })
      config.users.users
    ++ [{
      assertion = !cfg.mutableUsers -> builtins.all (u: u.shell != null) (builtins.attrValues cfg.users);
      message = ''
        users.mutableUsers = false has been set,
        but found users that have their shell set to null.
        If you wish to disable login, set their shell to pkgs.shadow (the default).
        Misconfigured users: ${lib.concatStringsSep " " (lib.attrNames (lib.filterAttrs (_: u: u.shell == null) cfg.users))}
      '';
    }]
    ++ lib.concatLists (lib.mapAttrsToList
      (_: user: map
        (shell: {
          assertion = !user.ignoreShellProgramCheck -> (user.shell == pkgs.${shell}) -> (config.programs.${shell}.enable == true);
          message = ''
            users.users.${user.name}.shell is set to ${shell}, but
            programs.${shell}.enable is not true. This will cause the ${shell}
            shell to lack the basic nix directories in its PATH and might make
            logging in as that user impossible. You can fix it with:
            programs.${shell}.enable = true;

            If you know what you're doing and you are fine with the behavior,
            set users.users.${user.name}.ignoreShellProgramCheck = true;
            instead.
          '';
        })
        [ "fish" "xonsh" "zsh" ])
      cfg.users);
  };
}
