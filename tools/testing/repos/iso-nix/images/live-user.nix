# Only the live ISO: log straight in as "live".
{ pkgs, ... }:
{
  users.users.live = {
    isNormalUser = true;
    extraGroups = [ "wheel" ];
    initialHashedPassword = "";
  };
  services.getty.autologinUser = "live";
  security.sudo.wheelNeedsPassword = false;
  environment.systemPackages = with pkgs; [ parted testdisk ];
}
