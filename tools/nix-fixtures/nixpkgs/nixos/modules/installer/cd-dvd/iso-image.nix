# Builds config.system.build.isoImage: a real ISO 9660 file made with the
# host's xorriso at $out/iso/<name>.iso. It holds /nixiso.json (the evaluated
# configuration), /version.txt, /nix-store-paths.txt (the toplevel's
# closure), each home-manager user's activation script and
# isoImage.contents, and, for x86_64-linux, NixOS's boot entry: /boot/bzImage
# (a Debian cloud kernel from the host, see hostKernel), /boot/initrd (a
# busybox initramfs holding the closure, whose stage 2 is the toplevel's
# init) and /isolinux/isolinux.cfg (only with isoImage.makeBiosBootable,
# default on x86) and grub.cfg naming them with NixOS's APPEND line. There is
# no boot loader binary: boot tests read the entry and start QEMU with
# -kernel/-initrd/-append.
#
# grub.cfg is where this release's iso-image.nix writes it: /EFI/BOOT/grub.cfg
# from 24.05 (nixpkgs PR #287798 spelled the EFI directory in upper case),
# /EFI/boot/grub.cfg before.
#
# Naming follows the release of this nixpkgs (../../../../.version):
# - up to 24.11: isoImage.isoName (default "${isoBaseName}.iso"); the
#   installer profile sets it at normal priority, so users set isoBaseName;
# - from 25.05: image.baseName/image.fileName name the file, and
#   isoImage.isoName/isoBaseName are renamed aliases of them (with a warning).
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption mkEnableOption types;
  cfg = config.isoImage;
  platform = pkgs.stdenv.hostPlatform;
  release = config.system.nixos.release;
  imageOptions = lib.versionAtLeast lib.trivial.release "25.05";
  efiBootDir = if lib.versionAtLeast lib.trivial.release "24.05" then "EFI/BOOT" else "EFI/boot";
  edition = lib.optionalString (cfg.edition != "") "-${cfg.edition}";
  isoName = if imageOptions then config.image.fileName else cfg.isoName;

  description = config.system.build.nixisoDescription // {
    iso = {
      name = isoName;
      inherit (cfg) volumeID edition squashfsCompression compressImage makeEfiBootable
        makeUsbBootable makeBiosBootable;
      contents = map (c: c.target) cfg.contents;
    } // lib.optionalAttrs imageOptions { inherit (config.image) baseName fileName filePath; };
  };

  # Only x86_64-linux images boot: the kernel is the host's.
  bootable = platform.isx86_64;
  inherit (config.system.boot.loader) kernelFile initrdFile;
  menuLabel = "${cfg.prependToMenuLabel}${config.system.nixos.distroName} ${config.system.nixos.label}${cfg.appendToMenuLabel}";
  kernelLine = "init=${config.system.build.toplevel}/init ${toString config.boot.kernelParams}";
  # As iso-image.nix's syslinux and GRUB menus, the default entry only.
  isolinuxCfg = pkgs.writeText "isolinux.cfg" ''
    SERIAL 0 115200
    TIMEOUT ${toString (if config.boot.loader.timeout == null then 0 else config.boot.loader.timeout * 10)}
    DEFAULT boot

    LABEL boot
    MENU LABEL ${menuLabel}
    LINUX /boot/${kernelFile}
    APPEND ${kernelLine}
    INITRD /boot/${initrdFile}
  '';
  grubCfg = pkgs.writeText "grub.cfg" ''
    set timeout=${toString (if config.boot.loader.timeout == null then 0 else config.boot.loader.timeout)}
    set default=0

    menuentry '${menuLabel}' --class installer {
      linux /boot/${kernelFile} ${kernelLine}
      initrd /boot/${initrdFile}
    }
  '';
  # Test-only impurity: a kernel file on the host, not in the store (its
  # contents are not part of the derivation). tools/scripts/install-deps.sh
  # puts one there; NIXISO_FIXTURE_KERNEL overrides it where Nix may read
  # the environment (not in pure flake evaluation).
  hostKernel =
    let override = builtins.getEnv "NIXISO_FIXTURE_KERNEL"; in
    if override != "" then override else "/var/lib/nixiso-fixtures/vmlinuz";

  isoImage = pkgs.runCommand isoName
    {
      inherit isoName;
      inherit (cfg) volumeID;
      inherit (config.system.nixos) label;
      toplevel = config.system.build.toplevel;
      description = builtins.toJSON description;
      passAsFile = [ "description" ];
      contentSources = map (c: c.source) cfg.contents;
      contentTargets = map (c: c.target) cfg.contents;
      exportReferencesGraph = [ "closure" config.system.build.toplevel ] ++ lib.concatLists (lib.imap0 (i: p: [ "extra-closure-${toString i}" p ]) cfg.storeContents);
      # xorriso stamps files and volume with this instead of the build time.
      SOURCE_DATE_EPOCH = "315532800";
      bootable = if bootable then "1" else "";
      biosBootable = if cfg.makeBiosBootable then "1" else "";
      inherit hostKernel kernelFile initrdFile isolinuxCfg grubCfg efiBootDir;
      stage1 = ../../system/boot/stage-1-init.sh;
    }
    ''
      root=$PWD/iso-root
      mkdir -p "$root"
      cp "$descriptionPath" "$root/nixiso.json"
      printf '%s\n' "$label" > "$root/version.txt"
      cat closure extra-closure-* 2>/dev/null | grep '^/nix/store/' | sort -u > "$root/nix-store-paths.txt" || true
      if [ -d "$toplevel/home-manager" ]; then
        for user in "$toplevel"/home-manager/*; do
          mkdir -p "$root/home-manager/$(basename "$user")"
          cp "$user/activate" "$root/home-manager/$(basename "$user")/activate"
        done
      fi
      if [ -n "$bootable" ]; then
        for tool in /bin/busybox /bin/bash-static cpio gzip; do
          command -v "$tool" >/dev/null || {
            echo "nixiso fixture: $tool is missing on the host; the stand-in's ISO boots a busybox initramfs: run tools/scripts/install-deps.sh" >&2
            exit 1
          }
        done
        [ -s "$hostKernel" ] || {
          echo "nixiso fixture: no kernel at $hostKernel (the stand-in's ISO is bootable and copies a host kernel): run tools/scripts/install-deps.sh, or set NIXISO_FIXTURE_KERNEL to a bzImage" >&2
          exit 1
        }
        mkdir -p "$root/boot" "$root/$efiBootDir"
        cp "$hostKernel" "$root/boot/$kernelFile"
        if [ -n "$biosBootable" ]; then
          mkdir -p "$root/isolinux"
          cp "$isolinuxCfg" "$root/isolinux/isolinux.cfg"
        fi
        cp "$grubCfg" "$root/$efiBootDir/grub.cfg"
        # The initramfs: busybox applets, bash, stage 1 as /init, the closure.
        rd=$PWD/initrd-root
        mkdir -p "$rd/bin" "$rd/nix/store" "$rd/dev" "$rd/proc" "$rd/sys" "$rd/run" "$rd/tmp" "$rd/etc"
        cp /bin/busybox "$rd/bin/busybox"
        for applet in $(/bin/busybox --list); do
          [ "$applet" = busybox ] || ln -s busybox "$rd/bin/$applet"
        done
        rm -f "$rd/bin/bash"
        cp /bin/bash-static "$rd/bin/bash"
        cp "$stage1" "$rd/init"
        chmod 0755 "$rd/init"
        while read -r path; do cp -a "$path" "$rd/nix/store/"; done < "$root/nix-store-paths.txt"
        find "$rd" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
        (cd "$rd" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible -R 0:0) | gzip -n -1 > "$root/boot/$initrdFile"
        chmod -R u+w "$rd" && rm -rf "$rd"
      fi
      set -- $contentTargets
      for source in $contentSources; do
        target="$root/$1"; shift
        mkdir -p "$(dirname "$target")"
        cp -rL "$source" "$target"
      done
      mkdir -p "$out/iso" "$out/nix-support"
      # File times too, so that rebuilding the same derivation gives the same ISO.
      find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
      xorriso -as mkisofs -quiet -o "$out/iso/$isoName" -V "$volumeID" -J -R "$root"
      echo "file iso $out/iso/$isoName" > "$out/nix-support/hydra-build-products"
    '';
in
{
  imports = lib.optionals imageOptions [
    (lib.mkRenamedOptionModule [ "isoImage" "isoName" ] [ "image" "fileName" ])
    (lib.mkRenamedOptionModule [ "isoImage" "isoBaseName" ] [ "image" "baseName" ])
  ];

  options.isoImage = {
    edition = mkOption { type = types.str; default = ""; description = "Edition in the volume ID (and, from 25.05, the file name)."; };
    volumeID = mkOption {
      type = types.str;
      default = "nixos${edition}-${release}-${platform.uname.processor}";
      description = "ISO volume label (at most 32 characters).";
    };
    squashfsCompression = mkOption {
      type = types.nullOr types.str;
      # 24.11 switched the default from xz to zstd.
      default =
        if lib.versionAtLeast lib.trivial.release "24.11" then "zstd -Xcompression-level 19"
        else "xz -Xdict-size 100%" + lib.optionalString platform.isx86 " -Xbcj x86" + lib.optionalString platform.isAarch " -Xbcj arm";
      description = "mksquashfs compression of the store (recorded only).";
    };
    compressImage = mkEnableOption "zstd compression of the ISO (recorded only)";
    makeEfiBootable = mkEnableOption "an EFI-bootable image";
    makeUsbBootable = mkEnableOption "an image bootable from USB";
    makeBiosBootable = mkOption {
      type = types.bool;
      # As in NixOS: syslinux is built for x86 only.
      default = pkgs.stdenv.buildPlatform.isx86 && platform.isx86;
      description = "Whether the ISO image should be a BIOS-bootable disk (without it there is no /isolinux).";
    };
    includeSystemBuildDependencies = mkEnableOption "build dependencies in the store";
    contents = mkOption {
      type = types.listOf (types.submodule {
        options.source = mkOption { type = types.either types.path types.str; description = "File or directory to copy."; };
        options.target = mkOption { type = types.str; description = "Path in the ISO."; };
      });
      default = [ ];
      description = "Files copied into the ISO.";
    };
    storeContents = mkOption { type = types.listOf types.package; default = [ ]; description = "Extra store paths in the image."; };
    appendToMenuLabel = mkOption { type = types.str; default = " Installer"; description = "Boot menu label suffix."; };
    prependToMenuLabel = mkOption { type = types.str; default = ""; description = "Boot menu label prefix."; };
    forceTextMode = mkEnableOption "text-mode boot menus";
    graphicalGrub = mkEnableOption "graphical GRUB";
    grubTheme = mkOption { type = types.nullOr (types.either types.path types.package); default = null; description = "GRUB theme."; };
    splashImage = mkOption { type = types.nullOr types.path; default = null; description = "BIOS splash image."; };
    efiSplashImage = mkOption { type = types.nullOr types.path; default = null; description = "EFI splash image."; };
    syslinuxTheme = mkOption { type = types.lines; default = ""; description = "syslinux theme."; };
  } // lib.optionalAttrs (!imageOptions) {
    isoName = mkOption { type = types.str; default = "${cfg.isoBaseName}.iso"; description = "Name of the ISO file."; };
    isoBaseName = mkOption { type = types.str; default = config.system.nixos.distroId; description = "Prefix of the ISO file name."; };
  };

  config = lib.mkMerge ([{
    assertions = [{
      assertion = cfg.makeBiosBootable -> platform.isx86;
      message = "BIOS boot is only supported on x86-based architectures.";
    } {
      assertion = builtins.stringLength cfg.volumeID <= 32;
      message = "isoImage.volumeID ${cfg.volumeID} is ${toString (builtins.stringLength cfg.volumeID)} characters. That is ${toString (builtins.stringLength cfg.volumeID - 32)} characters longer than the limit of 32.";
    }];
    boot.loader.grub.enable = false;
    # As in NixOS, at normal priority: a different value needs mkForce.
    boot.loader.timeout = 10;
    boot.kernelParams = [ "root=LABEL=${cfg.volumeID}" "boot.shell_on_fail" ];
    boot.initrd.availableKernelModules = [ "squashfs" "iso9660" "uas" "overlay" ];
    boot.initrd.kernelModules = [ "loop" "overlay" ];
    system.build.isoImage = isoImage;
  }] ++ lib.optional imageOptions {
    image.extension = "iso";
    image.filePath = "iso/${config.image.fileName}";
    image.baseName = lib.mkDefault "nixos${edition}-${config.system.nixos.label}-${platform.system}";
    system.build.image = isoImage;
  });
}
