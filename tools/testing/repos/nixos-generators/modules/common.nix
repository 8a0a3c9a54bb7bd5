{ pkgs, ... }:
{
  time.timeZone = "Europe/Vilnius";
  nix.settings.experimental-features = [ "nix-command" "flakes" ];
  environment.systemPackages = with pkgs; [ git vim curl ];
}
