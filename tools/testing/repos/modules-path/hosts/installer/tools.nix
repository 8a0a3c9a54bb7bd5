# Extra tools on the installer only.
{ pkgs, ... }:
{
  environment.systemPackages = with pkgs; [ parted gptfdisk rsync ];
}
