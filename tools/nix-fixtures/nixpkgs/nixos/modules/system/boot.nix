# boot.*: recorded (the stand-in builds no kernel, initrd or boot loader;
# the ISO boots a host kernel, see installer/cd-dvd/iso-image.nix), but typed
# like NixOS so that wrong values fail the same way.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption mkEnableOption types;
  strs = mkOption { type = types.listOf types.str; default = [ ]; description = "List of strings."; };
  # NixOS's types: kernel parameters may hold spaces only inside double
  # quotes (kernel.nix); filesystem lists become { name = true; } (filesystems.nix).
  kernelParam = types.strMatching ''([^"[:space:]]|"[^"]*")+'' // {
    name = "kernelParam";
    description = "string, with spaces inside double quotes";
  };
  attrNamesToTrue = types.coercedTo (types.listOf types.str)
    (enabled: lib.genAttrs enabled (_: true)) (types.attrsOf types.bool);
in
{
  options.boot = {
    kernelPackages = mkOption { type = types.raw; default = pkgs.linuxPackages; description = "Kernel package set."; };
    kernelParams = mkOption { type = types.listOf kernelParam; default = [ ]; description = "Parameters added to the kernel command line."; };
    kernelModules = strs;
    blacklistedKernelModules = strs;
    extraModulePackages = mkOption { type = types.listOf types.package; default = [ ]; description = "Extra kernel modules."; };
    extraModprobeConfig = mkOption { type = types.lines; default = ""; description = "modprobe.conf lines."; };
    kernel.sysctl = mkOption { type = types.attrsOf types.anything; default = { }; description = "sysctl settings."; };
    supportedFilesystems = mkOption {
      type = attrNamesToTrue;
      default = { };
      example = { btrfs = true; zfs = false; };
      description = "Names of supported filesystem types, or an attribute set of file system types and their state.";
    };
    consoleLogLevel = mkOption { type = types.int; default = 4; description = "Kernel console log level."; };
    postBootCommands = mkOption { type = types.lines; default = ""; description = "Commands run after boot."; };
    growPartition = mkEnableOption "growing the root partition on boot";
    tmp.cleanOnBoot = mkEnableOption "cleaning /tmp on boot";
    tmp.useTmpfs = mkEnableOption "a tmpfs on /tmp";
    binfmt.emulatedSystems = strs;
    plymouth.enable = mkEnableOption "Plymouth";
    plymouth.theme = mkOption { type = types.str; default = "bgrt"; description = "Plymouth theme."; };
    zfs.forceImportRoot = mkOption { type = types.bool; default = true; description = "Force-import the ZFS root pool."; };
    initrd = {
      availableKernelModules = strs;
      kernelModules = strs;
      supportedFilesystems = mkOption { type = attrNamesToTrue; default = { }; description = "Names of supported filesystem types in the initial ramdisk."; };
      systemd.enable = mkEnableOption "systemd in the initrd";
      includeDefaultModules = mkOption { type = types.bool; default = true; description = "Include the default initrd modules."; };
      allowMissingModules = mkEnableOption "missing initrd modules";
      verbose = mkOption { type = types.bool; default = true; description = "Verbose initrd."; };
    };
    loader = {
      timeout = mkOption { type = types.nullOr types.int; default = 5; description = "Boot menu timeout in seconds."; };
      grub = {
        enable = mkOption { type = types.bool; default = true; description = "Whether to use GRUB."; };
        device = mkOption { type = types.str; default = ""; description = "GRUB install device."; };
        devices = strs;
        efiSupport = mkEnableOption "EFI support in GRUB";
        efiInstallAsRemovable = mkEnableOption "installing GRUB as removable";
        useOSProber = mkEnableOption "os-prober";
        memtest86.enable = mkEnableOption "Memtest86+";
        forcei686 = mkEnableOption "forcing i686 GRUB";
      };
      systemd-boot.enable = mkEnableOption "systemd-boot";
      systemd-boot.configurationLimit = mkOption { type = types.nullOr types.int; default = null; description = "Maximum generations in the menu."; };
      efi.canTouchEfiVariables = mkEnableOption "writing EFI variables";
      efi.efiSysMountPoint = mkOption { type = types.str; default = "/boot"; description = "ESP mount point."; };
      generic-extlinux-compatible.enable = mkEnableOption "extlinux-compatible boot";
    };
  };

  # Names of the kernel and initrd files, as NixOS's system.boot.loader.*.
  options.system.boot.loader = {
    kernelFile = mkOption {
      type = types.str;
      default = if pkgs.stdenv.hostPlatform.isx86 then "bzImage" else "Image";
      description = "Name of the kernel file (bzImage on x86, Image on aarch64).";
    };
    initrdFile = mkOption { type = types.str; default = "initrd"; description = "Name of the initrd file."; };
  };

  options.fileSystems = mkOption {
    type = types.attrsOf (types.attrsOf types.anything);
    default = { };
    description = "File systems to mount.";
  };
  options.swapDevices = mkOption { type = types.listOf (types.attrsOf types.anything); default = [ ]; description = "Swap devices."; };
  options.zramSwap.enable = mkEnableOption "zram swap";
}
