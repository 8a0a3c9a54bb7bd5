#!/usr/bin/env bash
# `npm run bench`: measures nixiso against its baselines (Nx's own floor, raw
# Nix) in throw-away workspaces and writes tools/bench/benchmarks.md.
#   bash tools/bench/run.sh            full run (~28 min on 2 cores, §8 ~8 of them; --baseline REV adds ~3)
#   bash tools/bench/run.sh --sections 8 --out FILE   §8 alone: nixiso vs no plugin vs @nx/jest/plugin
#   bash tools/bench/run.sh --sections 9 --out tools/bench/diff.md   §9 alone: diff with both sides built vs a cache hit
#   bash tools/bench/run.sh --quick    fewer runs and sizes (< 3 min); report to $TMPDIR
#   bash tools/bench/run.sh --help     all options
set -euo pipefail
cd "$(dirname "$0")/../.."

if [[ " $* " != *" --help "* ]]; then
  bash tools/scripts/install-deps.sh >/dev/null
  if ! command -v hyperfine >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then sudo=; else sudo=sudo; fi
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y hyperfine
  fi
fi

exec node -r @swc-node/register tools/bench/bench.ts "$@"
