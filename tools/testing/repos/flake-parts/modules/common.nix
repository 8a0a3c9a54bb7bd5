{ pkgs, ... }:
{
  time.timeZone = "Australia/Sydney";
  i18n.defaultLocale = "en_AU.UTF-8";
  environment.systemPackages = with pkgs; [ git helix ];
}
