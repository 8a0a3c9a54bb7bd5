# Shared by every machine (and the installer).
{ pkgs, ... }:
{
  time.timeZone = "Europe/Amsterdam";
  i18n.defaultLocale = "en_US.UTF-8";
  nix.settings.experimental-features = [ "nix-command" "flakes" ];
  services.openssh.enable = true;
  environment.systemPackages = with pkgs; [ git vim htop ];
}
