# What nixos-generate evaluates: the configuration (a file for channels, a
# flake's nixosConfigurations.<name> otherwise) extended with the format.
{ nixpkgs ? <nixpkgs>
, configuration ? <nixos-config>
, system ? builtins.currentSystem
, formatConfig
, flakeUri ? null
, flakeAttr ? null
, diskSize ? null
, memorySize ? null
}:
let
  sizes = {
    _file = toString ./nixos-generate.nix;
    virtualisation =
      (if diskSize != null then { diskSize = builtins.fromJSON diskSize; } else { })
      // (if memorySize != null then { memorySize = builtins.fromJSON memorySize; } else { });
  };
  modules = [ ./format-module.nix formatConfig sizes ];

  flake = builtins.getFlake flakeUri;
  flakeSystem =
    flake.outputs.packages.${system}.nixosConfigurations.${flakeAttr}
      or flake.outputs.nixosConfigurations.${flakeAttr};
in
if flakeUri != null then
  flakeSystem.extendModules { inherit modules; }
else
  import "${toString nixpkgs}/nixos/lib/eval-config.nix" {
    inherit system;
    modules = modules ++ [ configuration ];
  }
