{ lib, ... }:
let inherit (lib) mkOption mkEnableOption types; in
{
  options = {
    hardware = {
      enableRedistributableFirmware = mkEnableOption "redistributable firmware";
      enableAllFirmware = mkEnableOption "all firmware";
      enableAllHardware = mkEnableOption "all hardware support";
      firmware = mkOption { type = types.listOf types.package; default = [ ]; description = "Firmware packages."; };
      cpu.intel.updateMicrocode = mkEnableOption "Intel microcode updates";
      cpu.amd.updateMicrocode = mkEnableOption "AMD microcode updates";
      bluetooth.enable = mkEnableOption "Bluetooth";
      bluetooth.powerOnBoot = mkOption { type = types.bool; default = true; description = "Power Bluetooth on at boot."; };
      graphics.enable = mkEnableOption "graphics drivers (24.11+ name)";
      graphics.enable32Bit = mkEnableOption "32-bit graphics drivers";
      opengl.enable = mkEnableOption "OpenGL (pre-24.11 name)";
      opengl.driSupport32Bit = mkEnableOption "32-bit DRI";
      pulseaudio.enable = mkEnableOption "PulseAudio (pre-25.05 place)";
      nvidia = mkOption { type = types.attrsOf types.anything; default = { }; description = "NVIDIA driver settings."; };
      deviceTree.enable = mkEnableOption "device trees";
      deviceTree.name = mkOption { type = types.nullOr types.str; default = null; description = "Device tree name."; };
      i2c.enable = mkEnableOption "I2C";
    };
    sound.enable = mkEnableOption "ALSA sound (removed in 24.11)";
    powerManagement.enable = mkOption { type = types.bool; default = true; description = "Power management."; };
    powerManagement.cpuFreqGovernor = mkOption { type = types.nullOr types.str; default = null; description = "CPU governor."; };
    security = {
      sudo.enable = mkOption { type = types.bool; default = true; description = "sudo."; };
      sudo.wheelNeedsPassword = mkOption { type = types.bool; default = true; description = "Whether wheel users need a password for sudo."; };
      sudo.extraRules = mkOption { type = types.listOf (types.attrsOf types.anything); default = [ ]; description = "sudoers rules."; };
      sudo-rs.enable = mkEnableOption "sudo-rs";
      doas.enable = mkEnableOption "doas";
      polkit.enable = mkEnableOption "polkit";
      rtkit.enable = mkEnableOption "RealtimeKit";
      tpm2.enable = mkEnableOption "TPM2";
      pam.services = mkOption { type = types.attrsOf (types.attrsOf types.anything); default = { }; description = "PAM services."; };
      apparmor.enable = mkEnableOption "AppArmor";
    };
    documentation = {
      enable = mkOption { type = types.bool; default = true; description = "Documentation."; };
      man.enable = mkOption { type = types.bool; default = true; description = "Man pages."; };
      info.enable = mkOption { type = types.bool; default = true; description = "Info pages."; };
      doc.enable = mkOption { type = types.bool; default = true; description = "/share/doc."; };
      nixos.enable = mkOption { type = types.bool; default = true; description = "The NixOS manual."; };
    };
    xdg.portal.enable = mkEnableOption "xdg portals";
    xdg.portal.extraPortals = mkOption { type = types.listOf types.package; default = [ ]; description = "Extra portals."; };
    xdg.mime.enable = mkOption { type = types.bool; default = true; description = "MIME database."; };
  };
}
