# programs.* with their most used settings. The shells' init options are
# NixOS's (programs/bash/bash.nix, programs/zsh/zsh.nix, programs/fish.nix:
# names, types, defaults); stage 2 writes them into each shell's start-up
# files (system/boot/stage-2-init.sh).
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption mkEnableOption types;
  simple = names: lib.genAttrs names (n: { enable = mkEnableOption n; });
  lines = description: mkOption { type = types.lines; default = ""; inherit description; };
in
{
  options.programs = simple [
    "htop" "tmux" "mtr" "gnupg" "firefox" "chromium" "less" "nano" "vim" "command-not-found"
    "nix-index" "direnv" "starship" "nix-ld" "ssh" "wireshark" "steam" "adb" "kdeconnect" "partition-manager"
    "virt-manager" "thunar" "yazi" "lazygit" "tcpdump" "traceroute" "iotop" "usbtop" "light" "calamares"
    "xonsh"
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
    bash.interactiveShellInit = lines "Shell script code called during interactive bash shell initialisation.";
    bash.promptInit = mkOption {
      type = types.lines;
      default = ''
        # Provide a nice prompt if the terminal supports it.
        if [ "$TERM" != "dumb" ] || [ -n "$INSIDE_EMACS" ]; then
          PROMPT_COLOR="1;31m"
          ((UID)) && PROMPT_COLOR="1;32m"
          if [ -n "$INSIDE_EMACS" ]; then
            # Emacs term mode doesn't support xterm title escape sequence (\e]0;)
            PS1="\n\[\033[$PROMPT_COLOR\][\u@\h:\w]\\$\[\033[0m\] "
          else
            PS1="\n\[\033[$PROMPT_COLOR\][\[\e]0;\u@\h: \w\a\]\u@\h:\w]\\$\[\033[0m\] "
          fi
          if test "$TERM" = "xterm"; then
            PS1="\[\033]2;\h:\u:\w\007\]$PS1"
          fi
        fi
      '';
      description = "Shell script code used to initialise the bash prompt.";
    };
    zsh = {
      enable = mkEnableOption "zsh";
      enableCompletion = mkOption { type = types.bool; default = true; description = "zsh completion."; };
      autosuggestions.enable = mkEnableOption "zsh autosuggestions";
      syntaxHighlighting.enable = mkEnableOption "zsh syntax highlighting";
      ohMyZsh = mkOption { type = types.attrsOf types.anything; default = { }; description = "oh-my-zsh settings."; };
      enableGlobalCompInit = mkOption { type = types.bool; default = config.programs.zsh.enableCompletion; description = "Run compinit for all interactive zsh shells."; };
      shellAliases = mkOption { type = types.attrsOf types.str; default = { }; description = "zsh aliases."; };
      shellInit = lines "Shell script code called during zsh shell initialisation.";
      loginShellInit = lines "Shell script code called during zsh login shell initialisation.";
      interactiveShellInit = lines "Shell script code called during interactive zsh shell initialisation.";
      promptInit = mkOption {
        type = types.lines;
        default = ''
          # Note that to manually override this in ~/.zshrc you should run `prompt off`
          # before setting your PS1 and etc. Otherwise this will likely to interact with
          # your ~/.zshrc configuration in unexpected ways as the default prompt sets
          # a lot of different prompt variables.
          autoload -U promptinit && promptinit && prompt suse && setopt prompt_sp
        '';
        description = "Shell script code used to initialise the zsh prompt.";
      };
    };
    fish = {
      enable = mkEnableOption "fish";
      shellAliases = mkOption { type = types.attrsOf types.str; default = { }; description = "fish aliases."; };
      shellInit = lines "Shell script code called during fish shell initialisation.";
      loginShellInit = lines "Shell script code called during fish login shell initialisation.";
      interactiveShellInit = lines "Shell script code called during interactive fish shell initialisation.";
      promptInit = lines "Shell script code used to initialise fish prompt.";
    };
    gnupg.agent = {
      enable = mkEnableOption "the GnuPG agent";
      enableSSHSupport = mkEnableOption "SSH support in the agent";
    };
  };

  # As NixOS's zsh.nix and fish.nix: an enabled shell is installed and allowed.
  config = lib.mkMerge [
    (lib.mkIf config.programs.zsh.enable {
      environment.systemPackages = [ pkgs.zsh ];
      environment.shells = [ "/run/current-system/sw/bin/zsh" "${pkgs.zsh}/bin/zsh" ];
    })
    (lib.mkIf config.programs.fish.enable {
      environment.systemPackages = [ pkgs.fish ];
      environment.shells = [ "/run/current-system/sw/bin/fish" "${pkgs.fish}/bin/fish" ];
    })
  ];
}
