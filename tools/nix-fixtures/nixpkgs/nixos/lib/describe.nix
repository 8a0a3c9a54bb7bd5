# The evaluated configuration as JSON-ready data: what tests read back from
# the image (/nixiso.json). Only plain values and store paths go in.
{ config, lib, pkgs }:
let
  inherit (builtins) attrNames filter isAttrs;

  # Names of packages; environments made by buildEnv list their members.
  packageNames = ps: lib.concatMap (p:
    if p ? fixtureJoinedPaths then packageNames p.fixtureJoinedPaths
    else [ (p.pname or (lib.getName p)) ]) ps;

  enabledIn = set: attrNames (lib.filterAttrs (_: v: isAttrs v && (v.enable or false) == true) set);

  user = u: {
    inherit (u) name isNormalUser isSystemUser uid group extraGroups home description createHome;
    shell = if u.shell == null then null else if lib.isDerivation u.shell then u.shell.pname or (lib.getName u.shell) else u.shell;
    packages = packageNames u.packages;
    # NixOS's sshd module reads keyFiles when it evaluates authorized_keys.
    authorizedKeys = u.openssh.authorizedKeys.keys ++ map builtins.readFile u.openssh.authorizedKeys.keyFiles;
    # Which password options are set, not their values.
    passwordOptions = filter (o: u.${o} != null)
      [ "password" "hashedPassword" "initialPassword" "initialHashedPassword" "hashedPasswordFile" ];
  };

  hmUser = u: {
    inherit (u.home) username homeDirectory stateVersion sessionVariables;
    packages = packageNames u.home.packages;
    files = map (f: f.target) (filter (f: f.enable)
      (builtins.concatMap builtins.attrValues [ u.home.file u.xdg.configFile u.xdg.dataFile ]));
    programs = enabledIn u.programs;
    services = enabledIn u.services;
    # Activation runs at boot (a systemd unit per user), never at build time.
    activation = map (e: { inherit (e) name; text = e.data; }) u.home.activationEntries;
    activationPackage = "${u.home.activationPackage}";
  };
in
{
  fixture = "nixiso-nix-fixtures";
  release = config.system.nixos.release;
  label = config.system.nixos.label;
  hostPlatform = pkgs.stdenv.hostPlatform.system;
  stateVersion = config.system.stateVersion;
  systemPackages = packageNames config.environment.systemPackages;
  systemPackagePaths = map toString config.environment.systemPackages;
  users = lib.mapAttrs (_: user) config.users.users;
  groups = lib.mapAttrs (_: g: { inherit (g) gid members; }) config.users.groups;
  # Listing them also checks every entry, as building /etc would.
  etc = map (e: e.target) (filter (e: e.enable) (builtins.attrValues config.environment.etc));
  # What /etc would hold: a source is copied into the store, as NixOS's etc builder does.
  etcFiles = builtins.listToAttrs (map (e: {
    name = e.target;
    value = if e.source != null then "${e.source}" else e.text;
  }) (filter (e: e.enable) (builtins.attrValues config.environment.etc)));
  hostName = config.networking.hostName;
  timeZone = config.time.timeZone;
  xkb = { inherit (config.services.xserver.xkb) layout variant options model; };
  defaultLocale = config.i18n.defaultLocale;
  kernelParams = config.boot.kernelParams;
  openssh = {
    inherit (config.services.openssh) enable ports settings;
    # The installer configures sshd without starting it at boot.
    startsAtBoot = config.services.openssh.enable
      && builtins.elem "multi-user.target" (config.systemd.services.sshd.wantedBy or [ ]);
  };
  networkmanager = config.networking.networkmanager.enable;
  # What ordinary live images set (console, locale, network, boot, login,
  # units): each value as the configuration evaluates it, so that a change
  # changes the image.
  console = {
    inherit (config.console) enable colors useXkbConfig earlySetup;
    keyMap = toString config.console.keyMap;
    font = if config.console.font == null then null else toString config.console.font;
  };
  i18n = { inherit (config.i18n) defaultLocale extraLocaleSettings supportedLocales; };
  networking = {
    inherit (config.networking) useDHCP nameservers;
    networkmanager = config.networking.networkmanager.enable;
    wireless = config.networking.wireless.enable;
    firewall = { inherit (config.networking.firewall) enable allowedTCPPorts allowedUDPPorts allowPing; };
  };
  boot = {
    inherit (config.boot) kernelModules supportedFilesystems;
    kernel = lib.getName config.boot.kernelPackages.kernel + "-" + config.boot.kernelPackages.kernel.version;
    initrdAvailableKernelModules = config.boot.initrd.availableKernelModules;
    loaderTimeout = config.boot.loader.timeout;
  };
  getty = { inherit (config.services.getty) autologinUser helpLine; };
  sudo = { inherit (config.security.sudo) enable wheelNeedsPassword; };
  shellAliases = lib.filterAttrs (_: v: v != null) (lib.mapAttrs (_: v: if v == null then null else toString v) config.environment.shellAliases);
  systemdUnits = lib.mapAttrs (_: s: {
    inherit (s) enable description wantedBy after script;
    serviceConfig = lib.mapAttrs (_: v: if builtins.isList v then map toString v else if builtins.isBool v || builtins.isInt v then v else toString v) s.serviceConfig;
  }) config.systemd.services;
  enableRedistributableFirmware = config.hardware.enableRedistributableFirmware;
  mutableUsers = config.users.mutableUsers;
  services = enabledIn config.services;
  programs = enabledIn config.programs;
  systemdServices = attrNames config.systemd.services;
  environmentVariables = config.environment.variables;
  nixSettings = config.nix.settings;
  homeManager =
    if config ? home-manager then {
      inherit (config.home-manager) useGlobalPkgs useUserPackages backupFileExtension;
      users = lib.mapAttrs (_: hmUser) config.home-manager.users;
    } else null;
  # nixos-generators' format options, when its format module is loaded.
  formatAttr = config.formatAttr or null;
  fileExtension = config.fileExtension or null;
}
