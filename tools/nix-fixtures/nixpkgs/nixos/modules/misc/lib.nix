# `config.lib`: a place for modules to share functions (iso-image uses it).
{ lib, ... }:
{
  options.lib = lib.mkOption {
    type = lib.types.attrsOf lib.types.attrs;
    default = { };
    description = "Functions and values shared between modules.";
  };
}
