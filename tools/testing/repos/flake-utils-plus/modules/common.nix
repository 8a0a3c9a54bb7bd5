{ pkgs, ... }:
{
  time.timeZone = "America/Chicago";
  programs.fish.enable = true;
  environment.systemPackages = with pkgs; [ git neovim fzf ];
}
