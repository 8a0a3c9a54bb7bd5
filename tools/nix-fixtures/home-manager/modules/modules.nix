# The home-manager modules every user configuration gets.
[
  ./home.nix
  ./files.nix
  ./programs.nix
  ./misc.nix
]
