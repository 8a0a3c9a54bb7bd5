{ pkgs, ... }:
{
  environment.systemPackages = with pkgs; [ parted ddrescue pciutils ];
}
