#!/usr/bin/env bash
# Installs what nixiso's development needs on Debian/Ubuntu: Nix (Debian's
# nix-bin, 2.8), xorriso (the offline nixpkgs stand-in writes real ISO files
# with it), git, and the npm dependencies from package-lock.json.
# Idempotent; skips apt when everything is there.
set -euo pipefail
cd "$(dirname "$0")/../.."

missing=()
command -v nix-build >/dev/null 2>&1 || missing+=(nix-bin)
command -v xorriso >/dev/null 2>&1 || missing+=(xorriso)
command -v git >/dev/null 2>&1 || missing+=(git)
if ((${#missing[@]})); then
  if [ "$(id -u)" -eq 0 ]; then sudo=; else sudo=sudo; fi
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "${missing[@]}"
fi
nix --version

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
