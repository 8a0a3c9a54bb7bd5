# Display servers and desktops the graphical installer profiles switch on.
{ lib, pkgs, ... }:
let inherit (lib) mkOption mkEnableOption types; in
{
  options.services = {
    xserver = {
      enable = mkEnableOption "the X server";
      videoDrivers = mkOption { type = types.listOf types.str; default = [ "modesetting" "fbdev" ]; description = "Video drivers."; };
      excludePackages = mkOption { type = types.listOf types.package; default = [ ]; description = "Packages to leave out."; };
      displayManager.gdm.enable = mkEnableOption "GDM";
      displayManager.gdm.wayland = mkOption { type = types.bool; default = true; description = "Wayland in GDM."; };
      displayManager.gdm.autoSuspend = mkOption { type = types.bool; default = true; description = "Suspend at the greeter."; };
      displayManager.lightdm.enable = mkEnableOption "LightDM";
      displayManager.startx.enable = mkEnableOption "startx";
      desktopManager.gnome.enable = mkEnableOption "GNOME (pre-25.11 place)";
      desktopManager.plasma5.enable = mkEnableOption "KDE Plasma 5 (removed in 25.05)";
      desktopManager.xfce.enable = mkEnableOption "Xfce";
      desktopManager.xterm.enable = mkEnableOption "the xterm session";
      windowManager.i3.enable = mkEnableOption "i3";
      libinput.enable = mkEnableOption "libinput (pre-24.05 place)";
    };
    displayManager = {
      enable = mkEnableOption "a display manager";
      sddm.enable = mkEnableOption "SDDM";
      sddm.wayland.enable = mkEnableOption "SDDM on Wayland";
      autoLogin.enable = mkEnableOption "automatic login";
      autoLogin.user = mkOption { type = types.nullOr types.str; default = null; description = "User logged in automatically."; };
      defaultSession = mkOption { type = types.nullOr types.str; default = null; description = "Default session."; };
    };
    desktopManager = {
      plasma6.enable = mkEnableOption "KDE Plasma 6";
      plasma6.enableQt5Integration = mkOption { type = types.bool; default = true; description = "Qt5 integration."; };
      gnome.enable = mkEnableOption "GNOME (25.11+ place)";
    };
    libinput.enable = mkEnableOption "libinput";
    pipewire = {
      enable = mkEnableOption "PipeWire";
      alsa.enable = mkEnableOption "ALSA support";
      alsa.support32Bit = mkEnableOption "32-bit ALSA";
      pulse.enable = mkEnableOption "the PulseAudio server";
      jack.enable = mkEnableOption "JACK";
      wireplumber.enable = mkOption { type = types.bool; default = true; description = "WirePlumber."; };
    };
    pulseaudio.enable = mkEnableOption "PulseAudio (25.05+ place)";
    gnome.core-utilities.enable = mkOption { type = types.bool; default = true; description = "GNOME core utilities."; };
    gnome.gnome-keyring.enable = mkEnableOption "GNOME Keyring";
    spice-vdagentd.enable = mkEnableOption "the SPICE agent";
    qemuGuest.enable = mkEnableOption "the QEMU guest agent";
    flatpak.enable = mkEnableOption "Flatpak";
    printing.enable = mkEnableOption "CUPS";
    blueman.enable = mkEnableOption "Blueman";
  };
  options.programs = {
    sway.enable = mkEnableOption "Sway";
    hyprland.enable = mkEnableOption "Hyprland";
    xwayland.enable = mkEnableOption "Xwayland";
    dconf.enable = mkEnableOption "dconf";
  };
}
