# Built when nixos-generate gets neither -c nor --flake (and NIXOS_CONFIG is unset).
{ lib, ... }:
{
  services.openssh.enable = true;
  users.users.root.password = "nixos";
  services.openssh.settings.PermitRootLogin = lib.mkDefault "yes";
  services.getty.autologinUser = lib.mkDefault "root";
  system.stateVersion = lib.mkDefault lib.trivial.release;
}
