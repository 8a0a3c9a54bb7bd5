#!/usr/bin/env bash
# README quick start, first command: install everything, then generate and build an image end to end.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/scripts/install-deps.sh
node -r @swc-node/register tools/scripts/demo.ts
