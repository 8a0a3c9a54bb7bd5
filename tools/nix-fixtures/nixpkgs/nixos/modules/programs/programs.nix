# programs.* with their most used settings.
{ lib, pkgs, ... }:
let
  inherit (lib) mkOption mkEnableOption types;
  simple = names: lib.genAttrs names (n: { enable = mkEnableOption n; });
in
{
  options.programs = simple [
    "htop" "tmux" "mtr" "gnupg" "firefox" "chromium" "less" "nano" "vim" "command-not-found"
    "nix-index" "direnv" "starship" "nix-ld" "ssh" "wireshark" "steam" "adb" "kdeconnect" "partition-manager"
    "virt-manager" "thunar" "yazi" "lazygit" "tcpdump" "traceroute" "iotop" "usbtop" "light" "calamares"
  ] // {
    git = {
      enable = mkEnableOption "git";
      package = mkOption { type = types.package; default = pkgs.git; description = "git package."; };
      config = mkOption { type = types.either (types.attrsOf types.anything) (types.listOf (types.attrsOf types.anything)); default = { }; description = "System gitconfig."; };
      lfs.enable = mkEnableOption "git-lfs";
    };
    neovim = {
      enable = mkEnableOption "Neovim";
      defaultEditor = mkEnableOption "Neovim as EDITOR";
      viAlias = mkEnableOption "vi alias";
      vimAlias = mkEnableOption "vim alias";
      configure = mkOption { type = types.attrsOf types.anything; default = { }; description = "Neovim configuration."; };
    };
    bash.completion.enable = mkOption { type = types.bool; default = true; description = "bash completion."; };
    bash.shellAliases = mkOption { type = types.attrsOf types.str; default = { }; description = "bash aliases."; };
    bash.interactiveShellInit = mkOption { type = types.lines; default = ""; description = "bash interactive init."; };
    bash.promptInit = mkOption { type = types.lines; default = ""; description = "bash prompt init."; };
    zsh = {
      enable = mkEnableOption "zsh";
      enableCompletion = mkOption { type = types.bool; default = true; description = "zsh completion."; };
      autosuggestions.enable = mkEnableOption "zsh autosuggestions";
      syntaxHighlighting.enable = mkEnableOption "zsh syntax highlighting";
      ohMyZsh = mkOption { type = types.attrsOf types.anything; default = { }; description = "oh-my-zsh settings."; };
      shellAliases = mkOption { type = types.attrsOf types.str; default = { }; description = "zsh aliases."; };
      interactiveShellInit = mkOption { type = types.lines; default = ""; description = "zsh interactive init."; };
    };
    fish = {
      enable = mkEnableOption "fish";
      shellAliases = mkOption { type = types.attrsOf types.str; default = { }; description = "fish aliases."; };
      interactiveShellInit = mkOption { type = types.lines; default = ""; description = "fish interactive init."; };
    };
    gnupg.agent = {
      enable = mkEnableOption "the GnuPG agent";
      enableSSHSupport = mkEnableOption "SSH support in the agent";
    };
  };
}
