# `<nixpkgs/nixos>`: evaluates the configuration named by $NIXOS_CONFIG or
# `<nixos-config>` (`-I nixos-config=…`), exactly the entry point that
# `nix-build '<nixpkgs/nixos>' -A config.system.build.isoImage` uses.
{ configuration ?
    (let fromEnv = builtins.getEnv "NIXOS_CONFIG"; in if fromEnv != "" then fromEnv else <nixos-config>)
, system ? builtins.currentSystem
}:
let
  eval = import ./lib/eval-config.nix {
    inherit system;
    modules = [ configuration ];
  };
in
{
  inherit (eval) pkgs config options extendModules;
  system = eval.config.system.build.toplevel;
}
