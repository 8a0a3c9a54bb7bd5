{ lib, ... }:
{
  documentation.enable = lib.mkDefault false;
  documentation.nixos.enable = lib.mkDefault false;
  environment.noXlibs = lib.mkDefault false;
}
