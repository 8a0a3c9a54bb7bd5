# Flake view of the fixture nixos-generators (the script and formats live in
# the nixpkgs stand-in, pkgs/nixos-generators, so that `nix run
# nixpkgs#nixos-generators` finds them too). Mirrors the real flake's outputs:
# the package, one NixOS module per format, and nixosGenerate.
{
  description = "nixiso test fixture: a stand-in for nixos-generators";

  inputs.nixpkgs.url = "nixpkgs";

  outputs = { self, nixpkgs }:
    let
      lib = nixpkgs.lib;
      generators = "${nixpkgs}/pkgs/nixos-generators";
      formats = lib.mapAttrs' (file: _: lib.nameValuePair (lib.removeSuffix ".nix" file) "${generators}/formats/${file}")
        (builtins.readDir "${generators}/formats");
    in
    {
      packages = lib.genAttrs [ "x86_64-linux" "aarch64-linux" ] (system: rec {
        nixos-generators = nixpkgs.legacyPackages.${system}.nixos-generators;
        default = nixos-generators;
      });

      nixosModules = lib.mapAttrs (_: format: { imports = [ "${generators}/format-module.nix" format ]; }) formats;

      nixosGenerate = { format, system ? null, modules ? [ ], specialArgs ? { }, pkgs ? null, ... }:
        let
          image = nixpkgs.lib.nixosSystem {
            inherit specialArgs;
            system = if system != null then system else if pkgs != null then pkgs.system else null;
            modules = [ self.nixosModules.${format} ] ++ modules;
          };
        in
        image.config.system.build.${image.config.formatAttr};
    };
}
