{ pkgs, ... }:
{
  time.timeZone = "America/New_York";
  console.keyMap = "us";
  programs.zsh.enable = true;
  environment.systemPackages = with pkgs; [ git neovim curl ];
}
