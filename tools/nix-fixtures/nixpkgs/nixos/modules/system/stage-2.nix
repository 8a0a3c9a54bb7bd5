# The toplevel's `init` (NixOS's stage 2, nixos/modules/system/boot/stage-2.nix):
# what the stand-in ISO's initrd hands over to. It emulates, with busybox and
# bash-static from the host, just enough of stage 2 and systemd for boot
# tests: system.activationScripts, the systemd services wanted by
# multi-user.target (home-manager-<user> among them) with systemd's console
# status lines, and getty's autologin on the serial console. The script
# itself is boot/stage-2-init.sh; this module writes the per-configuration
# part (config.sh beside it, sourced first).
{ config, lib, pkgs, ... }:
let
  inherit (builtins) isString isList attrNames filter elem head;
  q = lib.escapeShellArg;

  # system.activationScripts in dependency order, as NixOS's textClosureMap.
  snippets = lib.mapAttrs
    (_: v: if isString v then { text = v; deps = [ ]; } else { text = v.text or ""; deps = v.deps or [ ]; })
    config.system.activationScripts;
  snippetOrder =
    let
      visit = path: acc: n:
        if elem n acc || !(snippets ? ${n}) then acc
        else if elem n path then throw "system.activationScripts: dependency cycle through ${n}"
        else (lib.foldl' (visit (path ++ [ n ])) acc snippets.${n}.deps) ++ [ n ];
    in
    lib.foldl' (visit [ ]) [ ] (attrNames snippets);
  activate = pkgs.writeTextFile {
    name = "activate";
    executable = true;
    text = ''
      #!/bin/bash
      # system.activationScripts (nixiso fixture), run by stage 2 as root.
      _status=0
      trap "_status=1 _localstatus=\$?" ERR
      umask 0022
    '' + lib.concatMapStrings (n: ''

      #### Activation script snippet ${n}:
      _localstatus=0
      ${snippets.${n}.text}
      if (( _localstatus > 0 )); then
        printf "Activation script snippet '%s' failed (%s)\n" ${q n} "$_localstatus"
      fi
    '') snippetOrder + ''

      exit $_status
    '';
  };

  # Users as /etc/passwd would list them; NixOS allocates missing uids itself.
  userList = lib.imap0 (i: u: u // {
    uid' = if u.uid != null then u.uid else if u.isNormalUser then 1000 + i else 400 + i;
    profile = pkgs.buildEnv { name = "user-environment"; paths = u.packages; };
    # The login shell as /etc/passwd has it (NixOS's utils.toShellPath).
    shell' =
      if u.shell == null then ""
      else if lib.types.shellPackage.check u.shell then "/run/current-system/sw${u.shell.shellPath}"
      else if lib.isDerivation u.shell then throw "${u.shell} is not a shell package"
      else toString u.shell;
  }) (builtins.attrValues config.users.users);

  # Services started on the way to multi-user.target, with what systemd needs.
  # (`script` is already ExecStart: config/systemd.nix sets it, as NixOS does;
  # preStart/preStop are ExecStartPre/ExecStop.) Directives that may repeat
  # become lists of command lines.
  commands = v: if v == null then [ ] else if isList v then map toString v else [ (toString v) ];
  yes = v: elem (lib.toLower (toString v)) [ "1" "yes" "true" "on" ];
  services = filter (s: s.execs != [ ]) (lib.mapAttrsToList (name: s: rec {
    inherit name;
    execs = filter (c: lib.trim c != "") (commands (s.serviceConfig.ExecStart or null));
    type = toString (s.serviceConfig.Type or "simple");
    description = if s.description != "" then s.description else "${name}.service";
    user = toString (s.serviceConfig.User or "root");
    # systemd's default identifier is the executable's name; home-manager sets its own.
    syslogIdentifier = s.serviceConfig.SyslogIdentifier or (
      if lib.hasPrefix "home-manager-" name then "hm-activate-${lib.removePrefix "home-manager-" name}"
      else baseNameOf (head (lib.splitString " " (lib.removePrefix "-" (lib.removePrefix "@" (head execs))))));
    remainAfterExit = yes (s.serviceConfig.RemainAfterExit or false);
    startPre = commands (s.serviceConfig.ExecStartPre or null);
    stop = commands (s.serviceConfig.ExecStop or null);
    timeoutStopSec = toString (s.serviceConfig.TimeoutStopSec or "90");
    # `environment`, then Environment= (space-separated assignments, unquoted here).
    environment = lib.mapAttrsToList (k: v: "${k}=${toString v}") (lib.filterAttrs (_: v: v != null) s.environment)
      ++ filter (a: a != "") (lib.concatMap (lib.splitString " ") (commands (s.serviceConfig.Environment or null)));
    path = lib.makeBinPath s.path;
  }) (lib.filterAttrs (_: s: s.enable && elem "multi-user.target" s.wantedBy) config.systemd.services));
  shellArray = f: "(${lib.concatMapStringsSep " " (s: q (f s)) services})";

  hmUsers = if config ? home-manager then config.home-manager.users else { };

  stage2Config = pkgs.writeText "stage-2-config.sh" (''
    # Generated from the configuration (nixiso fixture); sourced by stage-2-init.sh.
    hostName=${q config.networking.hostName}
    distroName=${q config.system.nixos.distroName}
    label=${q config.system.nixos.label}
    release=${q config.system.nixos.release}
    codeName=${q config.system.nixos.codeName}
    machine=${q pkgs.stdenv.hostPlatform.uname.processor}
    systemPath=${config.system.path}
    activateScript=${activate}
    autologinUser=${q (if config.services.getty.autologinUser == null then "" else config.services.getty.autologinUser)}
    greetingLine=${q config.services.getty.greetingLine}
    helpLine=${q config.services.getty.helpLine}
    # name:uid:group:home:profile:shell, one user a line
    users=${q (lib.concatMapStrings (u: "${u.name}:${toString u.uid'}:${u.group}:${u.home}:${u.profile}:${u.shell'}\n") userList)}
    # Each shell's start-up code (programs.<shell>.*, environment.interactiveShellInit).
    bashPromptInit=${q config.programs.bash.promptInit}
    bashInteractiveShellInit=${q (config.environment.interactiveShellInit + "\n" + config.programs.bash.interactiveShellInit)}
    zshEnable=${if config.programs.zsh.enable then "1" else ""}
    zshShellInit=${q config.programs.zsh.shellInit}
    zshLoginShellInit=${q (config.environment.loginShellInit + "\n" + config.programs.zsh.loginShellInit)}
    zshInteractiveShellInit=${q ((lib.optionalString config.programs.zsh.enableGlobalCompInit "autoload -U compinit && compinit\n") + config.environment.interactiveShellInit + "\n" + config.programs.zsh.interactiveShellInit)}
    zshPromptInit=${q config.programs.zsh.promptInit}
    fishEnable=${if config.programs.fish.enable then "1" else ""}
    fishShellInit=${q config.programs.fish.shellInit}
    fishLoginShellInit=${q config.programs.fish.loginShellInit}
    fishInteractiveShellInit=${q config.programs.fish.interactiveShellInit}
    fishPromptInit=${q config.programs.fish.promptInit}
    # NixOS links /etc/terminfo to the system profile's share/terminfo; here a package that carries one says so (the host's zsh and fish).
    terminfo=${q (lib.concatMapStrings (p: "${p}/${p.terminfo}") (lib.take 1 (filter (p: p ? terminfo) config.environment.systemPackages)))}
    wheel=${q (lib.concatStringsSep "," (map (u: u.name) (filter (u: elem "wheel" u.extraGroups) userList)))}
    # home-manager users without useUserPackages get ~/.nix-profile: name:home-path
    homeProfiles=${q (lib.concatStrings (lib.mapAttrsToList (n: u: "${n}:${u.home.path}\n") hmUsers))}
    # The services, one array element each (command lists: one command a line).
    svcUnit=${shellArray (s: "${s.name}.service")}
    svcDescription=${shellArray (s: s.description)}
    svcType=${shellArray (s: s.type)}
    svcUser=${shellArray (s: s.user)}
    svcIdent=${shellArray (s: s.syslogIdentifier)}
    svcRemain=${shellArray (s: if s.remainAfterExit then "yes" else "no")}
    svcExecStart=${shellArray (s: lib.concatStringsSep "\n" s.execs)}
    svcExecStartPre=${shellArray (s: lib.concatStringsSep "\n" s.startPre)}
    svcExecStop=${shellArray (s: lib.concatStringsSep "\n" s.stop)}
    svcTimeoutStop=${shellArray (s: s.timeoutStopSec)}
    svcEnvironment=${shellArray (s: lib.concatStringsSep "\n" s.environment)}
    svcPath=${shellArray (s: s.path)}
  '');

  init = pkgs.runCommand "stage-2-init" { inherit stage2Config; stage2Script = ./boot/stage-2-init.sh; } ''
    mkdir -p "$out"
    cp "$stage2Config" "$out/config.sh"
    { echo '#!/bin/bash'; echo ". $out/config.sh"; cat "$stage2Script"; } > "$out/init"
    chmod +x "$out/init"
  '';
in
{
  config.system.build.bootStage2 = init;
  config.system.extraSystemBuilderCmds = ''
    ln -s ${init}/init "$out/init"
  '';
}
