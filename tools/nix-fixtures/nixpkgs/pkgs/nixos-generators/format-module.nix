# Options every format sets. The fixed key deduplicates this module however
# it is reached (this file, a flake's nixosModules, a store copy).
{ lib, ... }:
{
  _file = ./format-module.nix;
  key = "nixiso-fixture:nixos-generators/format-module.nix";

  options = {
    formatAttr = lib.mkOption {
      type = lib.types.str;
      description = "The attribute of config.system.build that is the image.";
    };
    fileExtension = lib.mkOption {
      type = lib.types.str;
      description = "Extension (with the dot) by which the image file is found in the build output.";
    };
  };
}
