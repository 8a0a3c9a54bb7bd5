{ inputs }:
{
  # One NixOS system per folder in hosts/.
  mkHost = { name, extraModules ? [ ] }:
    inputs.nixpkgs.lib.nixosSystem {
      specialArgs = { inherit inputs; };
      modules = [
        ../hosts/${name}
        ../modules/common.nix
        { networking.hostName = inputs.nixpkgs.lib.mkDefault name; }
      ] ++ extraModules;
    };
}
