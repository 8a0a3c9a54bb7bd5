# The home-manager NixOS module (`<home-manager/nixos>`, or the flake's
# nixosModules.home-manager): home-manager.users.<name> is a strict home
# module evaluated with osConfig, and each user's activation becomes a
# systemd unit that runs at boot, as in home-manager.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
  cfg = config.home-manager;
  hmLib = import ../modules/lib/stdlib-extended.nix lib;

  userModule = types.submoduleWith {
    description = "Home Manager module";
    specialArgs = {
      lib = hmLib;
      osConfig = config;
      nixosConfig = config;
      modulesPath = toString ../modules;
    } // cfg.extraSpecialArgs;
    modules = [
      ({ name, ... }: {
        _file = toString ./default.nix;
        imports = import ../modules/modules.nix;
        config = {
          submoduleSupport.enable = true;
          home.username = config.users.users.${name}.name;
          home.homeDirectory = config.users.users.${name}.home;
          # Without useGlobalPkgs home-manager would import nixpkgs again with
          # its own nixpkgs.config; the fixture always shares the system's.
          _module.args.pkgs = pkgs;
        };
      })
    ] ++ cfg.sharedModules;
  };
in
{
  options.home-manager = {
    useGlobalPkgs = mkOption { type = types.bool; default = false; description = "Use the system's pkgs instead of a private nixpkgs instance."; };
    useUserPackages = mkOption { type = types.bool; default = false; description = "Install home.packages through users.users.<name>.packages instead of ~/.nix-profile."; };
    backupFileExtension = mkOption { type = types.nullOr types.str; default = null; description = "Extension for backups of files in the way of activation."; };
    extraSpecialArgs = mkOption { type = types.attrs; default = { }; description = "Extra arguments for the home modules."; };
    sharedModules = mkOption { type = types.listOf types.raw; default = [ ]; description = "Modules added to every user's configuration."; };
    verbose = mkOption { type = types.bool; default = false; description = "Verbose activation."; };
    startAsUserService = mkOption { type = types.bool; default = false; description = "Activate as a user service."; };
    users = mkOption { type = types.attrsOf userModule; default = { }; description = "Per-user home-manager configurations."; };
  };

  config = lib.mkIf (cfg.users != { }) {
    # Like home-manager: the profile becomes the user's package list, which
    # also makes users.users.<name> exist (and then fail NixOS's user
    # assertion if the configuration never declared that user).
    users.users = lib.mkIf cfg.useUserPackages
      (lib.mapAttrs (_: u: { packages = [ u.home.path ]; }) cfg.users);

    systemd.services = lib.mapAttrs'
      (name: u: lib.nameValuePair "home-manager-${name}" {
        description = "Home Manager environment for ${name}";
        wantedBy = [ "multi-user.target" ];
        serviceConfig = {
          User = name;
          Type = "oneshot";
          RemainAfterExit = "yes";
          ExecStart = "${u.home.activationPackage}/activate";
        } // lib.optionalAttrs (cfg.backupFileExtension != null) {
          Environment = "HOME_MANAGER_BACKUP_EXT=${cfg.backupFileExtension}";
        };
      })
      cfg.users;

    # Each user's generation is reachable from the system (and the ISO).
    system.extraSystemBuilderCmds = lib.concatStrings (lib.mapAttrsToList
      (name: u: ''
        mkdir -p "$out/home-manager"
        ln -s ${u.home.activationPackage} "$out/home-manager/${name}"
      '')
      cfg.users);
  };
}
