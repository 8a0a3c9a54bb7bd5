# 25.05+: image.baseName/extension/fileName/filePath name every image file.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
  cfg = config.image;
in
{
  options.image = {
    baseName = mkOption {
      type = types.str;
      default = "nixos-image-${config.system.nixos.label}-${pkgs.stdenv.hostPlatform.system}";
      description = "Name of the image file without extension.";
    };
    extension = mkOption { type = types.str; description = "Extension of the image file."; };
    fileName = mkOption { type = types.str; default = "${cfg.baseName}.${cfg.extension}"; description = "File name of the image."; };
    filePath = mkOption { type = types.str; default = cfg.fileName; description = "Path of the image file in the build output."; };
  };
}
