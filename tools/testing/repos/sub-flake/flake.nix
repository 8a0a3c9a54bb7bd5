{
  description = "Servers and workstation";

  inputs.nixpkgs.url = "github:nixos/nixpkgs/nixos-24.05";

  outputs = { self, nixpkgs }:
    let
      host = name: nixpkgs.lib.nixosSystem {
        modules = [ ./hosts/${name} ./modules/common.nix ];
      };
    in
    {
      nixosConfigurations.desk = host "desk";
      nixosConfigurations.server = host "server";
      # The rescue ISO lives in ./iso (its own flake, own lock file).
    };
}
