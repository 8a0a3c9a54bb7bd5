# programs.*: enabling a program installs its package (as in home-manager);
# the settings are typed and recorded, not turned into dotfiles.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption mkEnableOption types;
  str = mkOption { type = types.nullOr types.str; default = null; description = "A string setting."; };
  lines = mkOption { type = types.lines; default = ""; description = "Configuration lines."; };
  free = mkOption { type = types.attrsOf types.anything; default = { }; description = "Settings."; };
  aliases = mkOption { type = types.attrsOf types.str; default = { }; description = "Aliases."; };
  strs = mkOption { type = types.listOf types.str; default = [ ]; description = "List of strings."; };
  integration = shells: lib.genAttrs (map (s: "enable${s}Integration") shells)
    (_: mkOption { type = types.bool; default = true; description = "Shell integration."; });
  shells = [ "Bash" "Zsh" "Fish" ];

  # name -> extra options; every program also gets enable and package.
  programs = {
    git = {
      userName = str; userEmail = str; aliases = aliases; extraConfig = free; ignores = strs;
      lfs.enable = mkEnableOption "git-lfs"; delta.enable = mkEnableOption "delta";
      signing = mkOption { type = types.nullOr (types.attrsOf types.anything); default = null; description = "Signing settings."; };
      settings = free;
    };
    bash = {
      enableCompletion = mkOption { type = types.bool; default = true; description = "Completion."; };
      shellAliases = aliases; bashrcExtra = lines; initExtra = lines; profileExtra = lines; logoutExtra = lines;
      sessionVariables = free; historySize = mkOption { type = types.int; default = 10000; description = "History size."; };
      historyControl = strs; shellOptions = strs;
    };
    zsh = {
      enableCompletion = mkOption { type = types.bool; default = true; description = "Completion."; };
      autosuggestion.enable = mkEnableOption "autosuggestions"; syntaxHighlighting.enable = mkEnableOption "syntax highlighting";
      oh-my-zsh = free; shellAliases = aliases; initExtra = lines; initContent = lines; envExtra = lines; history = free; plugins = mkOption { type = types.listOf types.anything; default = [ ]; description = "Plugins."; };
    };
    fish = { shellAliases = aliases; shellAbbrs = aliases; shellInit = lines; interactiveShellInit = lines; functions = free; plugins = mkOption { type = types.listOf types.anything; default = [ ]; description = "Plugins."; }; };
    neovim = {
      defaultEditor = mkEnableOption "Neovim as EDITOR"; viAlias = mkEnableOption "vi alias"; vimAlias = mkEnableOption "vim alias"; vimdiffAlias = mkEnableOption "vimdiff alias";
      plugins = mkOption { type = types.listOf (types.either types.package (types.attrsOf types.anything)); default = [ ]; description = "Plugins."; };
      extraConfig = lines; extraLuaConfig = lines;
      extraPackages = mkOption { type = types.listOf types.package; default = [ ]; description = "Extra packages on Neovim's PATH."; };
    };
    vim = { extraConfig = lines; settings = free; plugins = mkOption { type = types.listOf types.package; default = [ ]; description = "Plugins."; }; };
    fzf = integration shells // {
      defaultCommand = str; defaultOptions = strs; fileWidgetCommand = str; changeDirWidgetCommand = str;
      colors = mkOption { type = types.attrsOf types.str; default = { }; description = "Colors."; };
      tmux.enableShellIntegration = mkEnableOption "tmux integration";
    };
    tmux = { extraConfig = lines; shell = str; terminal = mkOption { type = types.str; default = "screen"; description = "TERM."; }; keyMode = mkOption { type = types.enum [ "emacs" "vi" ]; default = "emacs"; description = "Key mode."; }; mouse = mkEnableOption "mouse"; prefix = str; plugins = mkOption { type = types.listOf types.anything; default = [ ]; description = "Plugins."; }; };
    starship = integration shells // { settings = free; };
    direnv = integration shells // { nix-direnv.enable = mkEnableOption "nix-direnv"; config = free; };
    zoxide = integration shells // { options = strs; };
    eza = integration shells // { icons = mkOption { type = types.either types.bool (types.enum [ "auto" "always" "never" ]); default = false; description = "Icons."; }; git = mkEnableOption "git status"; extraOptions = strs; };
    bat = { config = free; themes = free; };
    htop = { settings = free; };
    btop = { settings = free; };
    ripgrep = { arguments = strs; };
    jq = { };
    fd = { hidden = mkEnableOption "hidden files"; ignores = strs; };
    ssh = { matchBlocks = free; extraConfig = lines; addKeysToAgent = mkOption { type = types.str; default = "no"; description = "AddKeysToAgent."; }; };
    gpg = { settings = free; };
    home-manager = { };
    kitty = { settings = free; font = free; theme = str; extraConfig = lines; };
    alacritty = { settings = free; };
    wezterm = { extraConfig = lines; };
    firefox = { profiles = free; policies = free; };
    vscode = { extensions = mkOption { type = types.listOf types.package; default = [ ]; description = "Extensions."; }; userSettings = free; };
    lazygit = { settings = free; };
    yazi = integration shells // { settings = free; };
    atuin = integration shells // { settings = free; };
    nushell = { configFile = free; extraConfig = lines; };
    helix = { settings = free; languages = free; };
    emacs = { extraPackages = mkOption { type = types.functionTo (types.listOf types.package); default = _: [ ]; description = "Emacs packages."; }; extraConfig = lines; };
    gh = { settings = free; };
    password-store = { settings = free; };
  };

  # home-manager's packages are named like the program, with a few exceptions.
  packageOf = { password-store = "pass"; ssh = "openssh"; gpg = "gnupg"; };
in
{
  options.programs = lib.mapAttrs
    (name: extra: {
      enable = mkEnableOption name;
      package = mkOption {
        type = types.nullOr types.package;
        default = pkgs.${packageOf.${name} or name};
        description = "The ${name} package to use.";
      };
    } // extra)
    programs;

  config.home.packages = lib.concatMap
    (name: let p = config.programs.${name}; in lib.optional (p.enable && p.package != null) p.package)
    (builtins.attrNames programs);
}
