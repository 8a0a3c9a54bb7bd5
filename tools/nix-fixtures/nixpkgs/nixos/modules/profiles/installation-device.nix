# What makes an image an installer: the passwordless `nixos` user that logs in
# on the console, root without a password, sudo for wheel.
{ lib, ... }:
{
  users.users.nixos = {
    isNormalUser = true;
    extraGroups = [ "wheel" "networkmanager" "video" ];
    initialHashedPassword = "";
  };
  users.users.root.initialHashedPassword = "";
  services.getty.autologinUser = lib.mkDefault "nixos";
  security.sudo.wheelNeedsPassword = lib.mkImageMediaOverride false;
  security.polkit.enable = lib.mkDefault true;
  # sshd is configured but not started at boot: users who want it running
  # override wantedBy (login needs a password or an authorized key anyway).
  services.openssh.enable = true;
  services.openssh.settings.PermitRootLogin = lib.mkDefault "yes";
  systemd.services.sshd.wantedBy = lib.mkOverride 50 [ ];
  networking.firewall.logRefusedConnections = lib.mkDefault false;
  networking.wireless.enable = lib.mkDefault true;
  networking.wireless.userControlled.enable = true;
}
