# Stand-in for nixpkgs' make-disk-image.nix: a small file with the right name
# and extension holding a marker line and the configuration's description
# (nothing is partitioned or formatted).
{ config, lib, pkgs
, format ? "raw"
, name ? "nixos.${if format == "raw" then "img" else format}"
, diskSize ? "auto"
, partitionTableType ? "legacy"
, ...
}:
let
  description = config.system.build.nixisoDescription // {
    image = { inherit format name partitionTableType; diskSize = toString diskSize; };
  };
in
pkgs.runCommand "nixos-disk-image"
{
  inherit format;
  fileName = name;
  toplevel = config.system.build.toplevel;
  description = builtins.toJSON description;
  passAsFile = [ "description" ];
}
  ''
    mkdir -p "$out/nix-support"
    { printf 'NIXISO-FIXTURE-DISK-IMAGE format=%s\n' "$format"; cat "$descriptionPath"; } > "$out/$fileName"
    echo "file $format $out/$fileName" > "$out/nix-support/hydra-build-products"
  ''
