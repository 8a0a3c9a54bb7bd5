# Everything else a home configuration commonly sets, typed but inert.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption mkEnableOption types;
  simple = names: lib.genAttrs names (n: { enable = mkEnableOption n; });
in
{
  options = {
    services = simple [ "ssh-agent" "gpg-agent" "syncthing" "dunst" "mako" "udiskie" "network-manager-applet" "blueman-applet" "gnome-keyring" "kdeconnect" "picom" "polybar" ];
    fonts.fontconfig.enable = mkEnableOption "fontconfig";
    news.display = mkOption { type = types.enum [ "silent" "notify" "show" ]; default = "notify"; description = "How news are shown."; };
    manual.manpages.enable = mkOption { type = types.bool; default = true; description = "Man pages."; };
    manual.html.enable = mkEnableOption "the HTML manual";
    targets.genericLinux.enable = mkEnableOption "non-NixOS Linux support";
    gtk = { enable = mkEnableOption "GTK settings"; theme = mkOption { type = types.nullOr (types.attrsOf types.anything); default = null; description = "GTK theme."; }; iconTheme = mkOption { type = types.nullOr (types.attrsOf types.anything); default = null; description = "Icon theme."; }; };
    qt = { enable = mkEnableOption "Qt settings"; platformTheme = mkOption { type = types.nullOr (types.either types.str (types.attrsOf types.anything)); default = null; description = "Qt platform theme."; }; };
    dconf.settings = mkOption { type = types.attrsOf (types.attrsOf types.anything); default = { }; description = "dconf settings."; };
    wayland.windowManager.hyprland = { enable = mkEnableOption "Hyprland"; settings = mkOption { type = types.attrsOf types.anything; default = { }; description = "Hyprland settings."; }; };
    wayland.windowManager.sway = { enable = mkEnableOption "Sway"; config = mkOption { type = types.nullOr (types.attrsOf types.anything); default = { }; description = "Sway settings."; }; };
    xsession.enable = mkEnableOption "the X session";
    systemd.user.services = mkOption { type = types.attrsOf (types.attrsOf types.anything); default = { }; description = "systemd user services."; };
    nix.settings = mkOption { type = types.attrsOf types.anything; default = { }; description = "User nix.conf settings."; };
    nixpkgs.config = mkOption { type = types.attrsOf types.anything; default = { }; description = "nixpkgs config (ignored when useGlobalPkgs)."; };
    nixpkgs.overlays = mkOption { type = types.listOf types.raw; default = [ ]; description = "Overlays (ignored when useGlobalPkgs)."; };
    lib = mkOption { type = types.attrsOf types.attrs; default = { }; description = "Functions shared between modules."; };
    submoduleSupport.enable = mkOption { type = types.bool; default = false; internal = true; description = "Set when home-manager runs as a NixOS module."; };
  };
  config.lib.dag = lib.hm.dag;
}
