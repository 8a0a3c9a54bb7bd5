# nixpkgs' lib plus `lib.hm`, the `lib` that home-manager modules receive.
nixpkgsLib:
nixpkgsLib // { hm = import ./default.nix nixpkgsLib; }
