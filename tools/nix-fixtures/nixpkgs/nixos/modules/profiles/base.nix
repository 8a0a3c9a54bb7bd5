# A few of the tools installer images carry.
{ pkgs, ... }:
{
  environment.systemPackages = with pkgs; [ parted gptfdisk ];
}
