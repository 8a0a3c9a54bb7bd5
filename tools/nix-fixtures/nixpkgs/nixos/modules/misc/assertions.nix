{ lib, ... }:
let inherit (lib) mkOption types; in
{
  options = {
    assertions = mkOption {
      type = types.listOf types.unspecified;
      default = [ ];
      description = "Conditions that must hold; failures abort building the system (see top-level.nix).";
    };
    warnings = mkOption {
      type = types.listOf types.str;
      default = [ ];
      description = "Warnings printed while building the system.";
    };
  };
}
