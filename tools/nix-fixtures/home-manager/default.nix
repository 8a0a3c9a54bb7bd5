# Channel entry point (`<home-manager>`): the NixOS module and the module list.
{ ... }:
{
  nixos = import ./nixos;
  modules = import ./modules/modules.nix;
  path = ./.;
}
