# Builds config.system.build.sdImage, as NixOS's installer/sd-card/sd-image.nix
# names it: $out/sd-image/<sdImage.imageName> (".zst" appended and the file
# compressed with the host's zstd when sdImage.compressImage, NixOS's
# default) and nix-support/hydra-build-products. Like the stand-in's disk
# images the file is small: a marker line, then the configuration's JSON
# (nothing is partitioned or formatted). Option names and defaults are
# NixOS's; the firmware/root population commands are recorded only.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
  cfg = config.sdImage;
  description = config.system.build.nixisoDescription // {
    image = { format = "raw"; name = cfg.imageName; partitionTableType = "legacy"; diskSize = "auto"; };
    sdImage = { inherit (cfg) imageName compressImage expandOnBoot firmwareSize firmwarePartitionName; };
  };
in
{
  imports = [ ../../profiles/all-hardware.nix ];

  options.sdImage = {
    imageBaseName = mkOption { type = types.str; default = "nixos-sd-image"; description = "Prefix of the image file name."; };
    imageName = mkOption {
      type = types.str;
      default = "${cfg.imageBaseName}-${config.system.nixos.label}-${pkgs.stdenv.hostPlatform.system}.img";
      description = "Name of the image file (without the .zst of compressImage).";
    };
    compressImage = mkOption { type = types.bool; default = true; description = "Compress the image with zstd."; };
    expandOnBoot = mkOption { type = types.bool; default = true; description = "Grow the root partition on first boot (recorded only)."; };
    firmwareSize = mkOption { type = types.int; default = 30; description = "Size of the firmware partition in MiB (recorded only)."; };
    firmwarePartitionName = mkOption { type = types.str; default = "FIRMWARE"; description = "Label of the firmware partition."; };
    firmwarePartitionOffset = mkOption { type = types.int; default = 8; description = "Offset of the firmware partition in MiB (recorded only)."; };
    rootPartitionUUID = mkOption { type = types.nullOr types.str; default = null; description = "UUID of the root partition (recorded only)."; };
    populateFirmwareCommands = mkOption { type = types.lines; default = ""; description = "Shell commands filling the firmware partition (recorded only)."; };
    populateRootCommands = mkOption { type = types.lines; default = ""; description = "Shell commands filling the root partition (recorded only)."; };
    postBuildCommands = mkOption { type = types.lines; default = ""; description = "Shell commands run after the image is built (recorded only)."; };
    storePaths = mkOption { type = types.listOf types.package; default = [ ]; description = "Store paths copied into the image (recorded only)."; };
  };

  config = {
    fileSystems."/boot/firmware" = { device = "/dev/disk/by-label/${cfg.firmwarePartitionName}"; fsType = "vfat"; options = [ "nofail" "noauto" ]; };
    fileSystems."/" = { device = "/dev/disk/by-label/NIXOS_SD"; fsType = "ext4"; };

    system.build.sdImage = pkgs.runCommand "nixos-sd-image"
      {
        inherit (cfg) imageName;
        compress = if cfg.compressImage then "1" else "";
        toplevel = config.system.build.toplevel;
        description = builtins.toJSON description;
        passAsFile = [ "description" ];
      }
      ''
        mkdir -p "$out/sd-image" "$out/nix-support"
        img="$out/sd-image/$imageName"
        { printf 'NIXISO-FIXTURE-DISK-IMAGE format=sd-image\n'; cat "$descriptionPath"; } > "$img"
        if [ -n "$compress" ]; then zstd -q --rm "$img"; img="$img.zst"; fi
        echo "file sd-image $img" > "$out/nix-support/hydra-build-products"
      '';
  };
}
