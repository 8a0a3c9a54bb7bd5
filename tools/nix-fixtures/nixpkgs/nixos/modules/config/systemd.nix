# systemd units as data: systemd.services.<name> is typed like NixOS's
# (nixos/lib/systemd-unit-options.nix: names, types, defaults; `script`
# becomes ExecStart as there), the other unit kinds stay free-form. Nothing
# starts at build time; system/stage-2.nix runs the services wanted by
# multi-user.target when the stand-in's ISO boots.
{ lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
  units = description: mkOption { type = types.attrsOf (types.attrsOf types.anything); default = { }; inherit description; };

  # systemd-lib's unitNameType.
  unitName = types.strMatching "[a-zA-Z0-9@%:_.\\-]+[.](service|socket|device|mount|automount|swap|target|path|timer|scope|slice)";
  unitNames = description: mkOption { type = types.listOf unitName; default = [ ]; inherit description; };

  # A value in [Unit]/[Service]: definitions that are lists are repeated
  # directives and concatenate, anything else must agree.
  unitOption = types.mkOptionType {
    name = "systemd option";
    merge = loc: defs:
      if builtins.isList (builtins.head defs).value then
        lib.concatMap (d:
          if builtins.isList d.value then d.value
          else throw "The definitions for systemd unit options should be either all lists, representing repeatable options, or all non-lists, but for the option ${lib.showOption loc}, the definitions are a mix of list and non-list")
          defs
      else types.bool.merge loc defs; # mergeEqual: one value, or a conflict naming the definitions
  };

  lines = description: mkOption { type = types.lines; default = ""; inherit description; };

  # NixOS's makeJobScript; bash is the stand-in's /bin/bash (bash-static in the initrd).
  jobScript = name: text: "${pkgs.writeTextFile {
    name = "unit-script-${name}";
    executable = true;
    destination = "/bin/${name}";
    text = "#!/bin/bash\nset -e\n${text}\n";
  }}/bin/${name}";

  service = { name, config, ... }: {
    options = {
      enable = mkOption { type = types.bool; default = true; description = "If false, the unit is masked (a symlink to /dev/null)."; };
      description = mkOption { type = types.singleLineStr; default = ""; description = "Description of this unit used in systemd messages and progress indicators."; };
      documentation = mkOption { type = types.listOf types.str; default = [ ]; description = "URIs documenting this unit."; };
      wantedBy = unitNames "Units that want (i.e. depend on) this unit; [ \"multi-user.target\" ] starts it at boot.";
      requiredBy = unitNames "Units that require this unit.";
      upheldBy = unitNames "Units that keep this unit running.";
      aliases = unitNames "Aliases of that unit.";
      requires = unitNames "Units started with this one; this unit stops when they stop or fail.";
      wants = unitNames "Units started with this one.";
      upholds = unitNames "Units kept running while this unit is active.";
      after = unitNames "Units this one starts after, when started at the same time.";
      before = unitNames "Units this one starts before, when started at the same time.";
      bindsTo = unitNames "Like requires, and this unit stops when they disappear.";
      partOf = unitNames "Units whose stop or restart stops or restarts this one.";
      conflicts = unitNames "Units stopped when this one starts, and vice versa.";
      requisite = unitNames "Like requires, without starting them.";
      onFailure = unitNames "Units activated when this unit fails.";
      onSuccess = unitNames "Units activated when this unit succeeds.";
      unitConfig = mkOption { type = types.attrsOf unitOption; default = { }; example = { RequiresMountsFor = "/data"; }; description = "Options of the [Unit] section."; };
      startLimitBurst = mkOption { type = types.int; description = "Start rate limit: starts allowed per interval."; };
      startLimitIntervalSec = mkOption { type = types.int; description = "Start rate limit: the interval."; };
      restartTriggers = mkOption { type = types.listOf types.unspecified; default = [ ]; description = "Items whose change restarts the service on switch."; };
      reloadTriggers = mkOption { type = types.listOf unitOption; default = [ ]; description = "Items whose change reloads the service on switch."; };
      environment = mkOption {
        type = types.attrsOf (types.nullOr (types.oneOf [ types.str types.path types.package ]));
        default = { };
        example = { PATH = "/foo/bar/bin"; LANG = "nl_NL.UTF-8"; };
        description = "Environment variables passed to the service's processes.";
      };
      path = mkOption { type = types.listOf (types.oneOf [ types.package types.str ]); default = [ ]; description = "Packages added to the service's PATH."; };
      serviceConfig = mkOption { type = types.attrsOf unitOption; default = { }; example = { RestartSec = 5; }; description = "Options of the [Service] section."; };
      script = lines "Shell commands executed as the service's main process.";
      scriptArgs = mkOption { type = types.str; default = ""; description = "Arguments passed to the main process script."; };
      preStart = lines "Shell commands executed before the service's main process is started.";
      postStart = lines "Shell commands executed after the service's main process is started.";
      reload = lines "Shell commands executed when the service's main process is reloaded.";
      preStop = lines "Shell commands executed to stop the service.";
      postStop = lines "Shell commands executed after the service's main process has exited.";
      restartIfChanged = mkOption { type = types.bool; default = true; description = "Restart the service on switch if its definition changed."; };
      reloadIfChanged = mkOption { type = types.bool; default = false; description = "Reload rather than restart the service on switch."; };
      stopIfChanged = mkOption { type = types.bool; default = true; description = "Stop in the old configuration, start in the new one."; };
      startAt = mkOption {
        type = types.either types.str (types.listOf types.str);
        default = [ ];
        example = "Sun 14:00:00";
        description = "Start this unit at these times (systemd.time(7)), through a timer.";
        apply = v: if builtins.isList v then v else [ v ];
      };
    };
    config = lib.mkMerge [
      (lib.mkIf (config.preStart != "") { serviceConfig.ExecStartPre = [ (jobScript "${name}-pre-start" config.preStart) ]; })
      (lib.mkIf (config.script != "") { serviceConfig.ExecStart = jobScript "${name}-start" config.script + " " + config.scriptArgs; })
      (lib.mkIf (config.postStart != "") { serviceConfig.ExecStartPost = [ (jobScript "${name}-post-start" config.postStart) ]; })
      (lib.mkIf (config.reload != "") { serviceConfig.ExecReload = jobScript "${name}-reload" config.reload; })
      (lib.mkIf (config.preStop != "") { serviceConfig.ExecStop = jobScript "${name}-pre-stop" config.preStop; })
      (lib.mkIf (config.postStop != "") { serviceConfig.ExecStopPost = jobScript "${name}-post-stop" config.postStop; })
    ];
  };
in
{
  options.systemd = {
    services = mkOption { type = types.attrsOf (types.submodule service); default = { }; description = "Definition of systemd service units."; };
    timers = units "systemd timers.";
    sockets = units "systemd sockets.";
    targets = units "systemd targets.";
    mounts = mkOption { type = types.listOf (types.attrsOf types.anything); default = [ ]; description = "systemd mounts."; };
    user.services = units "systemd user services.";
    user.timers = units "systemd user timers.";
    network = mkOption { type = types.attrsOf types.anything; default = { }; description = "systemd-networkd settings."; };
    tmpfiles.rules = mkOption { type = types.listOf types.str; default = [ ]; description = "tmpfiles.d rules."; };
    extraConfig = mkOption { type = types.lines; default = ""; description = "system.conf lines."; };
    packages = mkOption { type = types.listOf types.package; default = [ ]; description = "Packages providing units."; };
  };
}
