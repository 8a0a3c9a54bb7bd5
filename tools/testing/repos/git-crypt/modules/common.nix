{ pkgs, ... }:
{
  time.timeZone = "Europe/Oslo";
  i18n.defaultLocale = "nb_NO.UTF-8";
  environment.systemPackages = with pkgs; [ git vim ];
}
