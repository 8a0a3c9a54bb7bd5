# Shared by the generated images (not by the desktop).
{ ... }:
{
  services.openssh.enable = true;
  services.openssh.settings.PermitRootLogin = "yes";
  users.users.root.initialPassword = "nixos";
}
