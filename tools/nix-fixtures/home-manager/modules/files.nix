# home.file and xdg.*File: collected into one directory (home-files) that
# activation would link into $HOME.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption types;

  fileType = prefix: types.attrsOf (types.submodule ({ name, config, ... }: {
    options = {
      enable = mkOption { type = types.bool; default = true; description = "Whether to create the file."; };
      target = mkOption { type = types.str; default = name; apply = p: prefix + p; description = "Path relative to the home directory."; };
      text = mkOption { type = types.nullOr types.lines; default = null; description = "File content."; };
      source = mkOption { type = types.nullOr types.path; default = null; description = "File or directory to link."; };
      executable = mkOption { type = types.nullOr types.bool; default = null; description = "Make the file executable."; };
      recursive = mkOption { type = types.bool; default = false; description = "Link a directory's files one by one."; };
      force = mkOption { type = types.bool; default = false; description = "Overwrite existing files."; };
      onChange = mkOption { type = types.lines; default = ""; description = "Commands run when the file changes."; };
    };
  }));

  all = lib.filter (f: f.enable)
    (builtins.attrValues config.home.file ++ builtins.attrValues config.xdg.configFile ++ builtins.attrValues config.xdg.dataFile);

  sourceOf = f:
    if f.text != null then pkgs.writeTextFile { name = baseNameOf f.target; inherit (f) text; executable = f.executable == true; }
    else if f.source != null then f.source
    else throw "home-manager: home.file.\"${f.target}\" needs either text or source.";
in
{
  options = {
    home.file = mkOption { type = fileType ""; default = { }; description = "Files in the home directory."; };
    xdg.enable = mkOption { type = types.bool; default = false; description = "XDG base directories."; };
    xdg.configHome = mkOption { type = types.str; default = "${config.home.homeDirectory}/.config"; description = "XDG_CONFIG_HOME."; };
    xdg.configFile = mkOption { type = fileType ".config/"; default = { }; description = "Files in ~/.config."; };
    xdg.dataFile = mkOption { type = fileType ".local/share/"; default = { }; description = "Files in ~/.local/share."; };
    xdg.mimeApps.enable = mkOption { type = types.bool; default = false; description = "mimeapps.list."; };
    xdg.userDirs.enable = mkOption { type = types.bool; default = false; description = "XDG user directories."; };
    home-files = mkOption { type = types.package; internal = true; readOnly = true; description = "All home files in one directory."; };
  };

  config.home-files = pkgs.runCommand "home-manager-files"
    {
      targets = map (f: f.target) all;
      sources = map (f: toString (sourceOf f)) all;
    }
    ''
      mkdir -p "$out"
      set -- $targets
      for source in $sources; do
        mkdir -p "$(dirname "$out/$1")"
        ln -s "$source" "$out/$1"
        shift
      done
    '';
}
