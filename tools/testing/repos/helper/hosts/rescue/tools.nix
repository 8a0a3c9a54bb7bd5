{ pkgs, ... }:
{
  environment.systemPackages = with pkgs; [ ddrescue smartmontools nvme-cli ];
}
