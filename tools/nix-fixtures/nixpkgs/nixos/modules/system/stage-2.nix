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
  }) (builtins.attrValues config.users.users);

  # Services started on the way to multi-user.target, with what systemd needs.
  # (`script` is already ExecStart: config/systemd.nix sets it, as NixOS does.)
  execOf = name: s:
    let e = s.serviceConfig.ExecStart or null; in
    if isString e then e
    else if isList e && e != [ ] && isString (head e) then head e
    else null;
  services = filter (s: s.exec != null) (lib.mapAttrsToList (name: s: {
    inherit name;
    exec = execOf name s;
    description = if s.description != "" then s.description else name;
    user = s.serviceConfig.User or "root";
    syslogIdentifier = s.serviceConfig.SyslogIdentifier or (
      if lib.hasPrefix "home-manager-" name then "hm-activate-${lib.removePrefix "home-manager-" name}" else name);
  }) (lib.filterAttrs (_: s: s.enable && elem "multi-user.target" s.wantedBy) config.systemd.services));

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
    # name:uid:group:home:profile, one user a line
    users=${q (lib.concatMapStrings (u: "${u.name}:${toString u.uid'}:${u.group}:${u.home}:${u.profile}\n") userList)}
    wheel=${q (lib.concatStringsSep "," (map (u: u.name) (filter (u: elem "wheel" u.extraGroups) userList)))}
    # home-manager users without useUserPackages get ~/.nix-profile: name:home-path
    homeProfiles=${q (lib.concatStrings (lib.mapAttrsToList (n: u: "${n}:${u.home.path}\n") hmUsers))}
    # unit|user|syslog identifier|ExecStart|description, one service a line
    services=${q (lib.concatMapStrings (s: "${s.name}.service|${s.user}|${s.syslogIdentifier}|${s.exec}|${s.description}\n") services)}
  '');

  init = pkgs.runCommand "stage-2-init" { inherit stage2Config; stage2Script = ./boot/stage-2-init.sh; } ''
    mkdir -p "$out"
    cp "$stage2Config" "$out/config.sh"
    { echo '#!/bin/sh'; echo ". $out/config.sh"; cat "$stage2Script"; } > "$out/init"
    chmod +x "$out/init"
  '';
in
{
  config.system.build.bootStage2 = init;
  config.system.extraSystemBuilderCmds = ''
    ln -s ${init}/init "$out/init"
  '';
}
