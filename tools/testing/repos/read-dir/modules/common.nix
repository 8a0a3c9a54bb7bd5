{ pkgs, ... }:
{
  time.timeZone = "Asia/Tokyo";
  nix.settings.experimental-features = [ "nix-command" "flakes" ];
  environment.systemPackages = with pkgs; [ git vim btop ];
}
