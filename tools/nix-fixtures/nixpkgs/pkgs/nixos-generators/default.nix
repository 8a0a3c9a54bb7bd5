# The fixture's nixos-generators package: this directory installed like the
# real one (bin/nixos-generate plus its Nix files), so that
# `nix run nixpkgs#nixos-generators -- …` works against the fixture flake.
{ runCommand }:
runCommand "nixos-generators-1.8.0" { src = ./.; }
  ''
    mkdir -p "$out/bin" "$out/share"
    cp -r "$src" "$out/share/nixos-generator"
    ln -s ../share/nixos-generator/nixos-generate "$out/bin/nixos-generate"
  ''
// {
  pname = "nixos-generators";
  version = "1.8.0";
  meta.mainProgram = "nixos-generate";
}
