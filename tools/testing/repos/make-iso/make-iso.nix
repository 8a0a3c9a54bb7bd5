# nix-build make-iso.nix   ->   result/iso/*.iso
let
  eval = import <nixpkgs/nixos/lib/eval-config.nix> {
    system = "x86_64-linux";
    modules = [ ./iso.nix ];
  };
in
eval.config.system.build.isoImage
