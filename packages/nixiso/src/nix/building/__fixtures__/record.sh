#!/usr/bin/env bash
# Records what Nix itself writes to stderr with `--log-format internal-json`
# for log.spec.ts and progress.spec.ts: the *.log files here are real Nix
# output, byte for byte, never edited. Re-run after a Nix upgrade, then update
# the expectations the specs derive from them.
#
#   packages/nixiso/src/nix/building/__fixtures__/record.sh
#
# Needs nix, nix-build, curl and python3 (a local HTTP binary cache, so that
# one path is substituted and downloads appear in the log). Everything else is
# offline: the images are built against the stand-ins in tools/nix-fixtures.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../../../.." && pwd)
stand_in=$repo/tools/nix-fixtures
work=$(mktemp -d /tmp/nixiso-record.XXXXXX)
nonce=$(date +%s)
port=$((20000 + RANDOM % 20000))
features=(--extra-experimental-features 'nix-command flakes')
offline=(--option substituters '')
log_format=(--log-format internal-json)
channels=(-I "nixpkgs=$stand_in/nixpkgs" -I "home-manager=$stand_in/home-manager")
inputs=(--override-input nixpkgs "path:$stand_in/nixpkgs" --override-input home-manager "path:$stand_in/home-manager")

cleanup() {
  if [[ -f $work/http.pid ]]; then kill "$(cat "$work/http.pid")" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# A package built by /bin/sh alone; $2 is the script as a Nix string literal.
package() {
  printf '(derivation { name = "%s"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" %s ]; })\n' "$1" "$2"
}

# image <dir> <example> <package…>: a copy of examples/<example> whose systemPackages also hold the packages.
image() {
  local dir=$work/$1 example=$2
  shift 2
  mkdir -p "$dir"
  cp "$repo/examples/$example/"*.nix "$dir/"
  { echo '['; printf '%s\n' "$@"; echo ']'; } >"$dir/extra-packages.nix"
  sed -i 's|environment.systemPackages = with pkgs; \[|environment.systemPackages = with pkgs; (import ./extra-packages.nix) ++ [|' \
    "$dir/configuration.nix"
}

channel_build() {
  local dir=$work/$1
  shift
  nix-build '<nixpkgs/nixos>' -A config.system.build.isoImage -I "nixos-config=$dir/configuration.nix" \
    "${channels[@]}" --out-link "$dir/result" "${log_format[@]}" "$@"
}
flake_build() {
  local dir=$work/$1
  shift
  nix "${features[@]}" build "path:$dir#nixosConfigurations.liveImage.config.system.build.isoImage" \
    --out-link "$dir/result" --json "${inputs[@]}" "${log_format[@]}" "$@"
}

entries=()
# record <name> <what> <command…>: stderr into <name>.log; the exit code into recordings.json.
record() {
  local name=$1 what=$2 code=0
  shift 2
  "$@" >/dev/null 2>"$here/$name.log" || code=$?
  entries+=("$(printf '  "%s": { "exitCode": %d, "what": "%s" }' "$name" "$code" "$what")")
  echo "recorded $name.log (exit $code)"
}

# --- success: two packages built (one reporting stdenv-style phases), one substituted over HTTP, then the ISO.
payload=$(package "payload-$nonce" '"i=0; while [ $i -lt 20000 ]; do echo line $i >> $out; i=$((i+1)); done"')
payload_path=$(nix-build --no-out-link "${offline[@]}" -E "$payload" 2>/dev/null)
nix "${features[@]}" copy --to "file://$work/cache" "$payload_path"
nix-store --delete "$payload_path" >/dev/null 2>&1
(cd "$work/cache" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
echo $! >"$work/http.pid"
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/nix-cache-info" >/dev/null && break; sleep 0.1; done
image success iso-channel \
  "$(package "hello-$nonce" '"for p in unpackPhase buildPhase installPhase; do echo \"@nix {\\\"action\\\":\\\"setPhase\\\",\\\"phase\\\":\\\"$p\\\"}\" >&2; echo running $p; done; echo done > $out"')" \
  "$(package "tool-$nonce" '"echo compiling tool; echo warning: tool is only a stand-in >&2; echo ok > $out"')" \
  "$payload"
record success 'nix-build, channel layout: 3 built, 1 substituted from http://127.0.0.1' \
  channel_build success --option substituters "http://127.0.0.1:$port" --option require-sigs false
kill "$(cat "$work/http.pid")" && rm "$work/http.pid"

# --- success with `nix build` (flake layout): the new CLI prints no info-level messages.
image success-flake iso-flake "$(package "flake-pkg-$nonce" '"echo built in a flake; echo ok > $out"')"
record success-flake 'nix build, flake layout: 2 built' flake_build success-flake "${offline[@]}"

# --- evaluation error: an option no module declares.
image eval-undeclared-option iso-channel
sed -i 's/environment.systemPackages/environment.systemPackage/' "$work/eval-undeclared-option/configuration.nix"
record eval-undeclared-option 'nix-build: environment.systemPackage is no option' \
  channel_build eval-undeclared-option "${offline[@]}"

# --- evaluation error: a syntax error, through a flake (Nix names the file inside its store copy).
image eval-syntax-error iso-flake
sed -i 's/system.stateVersion = "24.05";/system.stateVersion = "24.05"/' "$work/eval-syntax-error/configuration.nix"
record eval-syntax-error 'nix build, flake layout: missing semicolon in configuration.nix' \
  flake_build eval-syntax-error "${offline[@]}"

# --- a builder fails: 40 lines of log, then exit 3; the ISO that needs it is not built.
broken='"i=1; while [ $i -le 40 ]; do echo log line $i; i=$((i+1)); done; echo boom >&2; exit 3"'
image builder-failure iso-channel "$(package "broken-$nonce" "$broken")"
record builder-failure 'nix-build: a package of the image fails (exit 3)' channel_build builder-failure "${offline[@]}"
image builder-failure-flake iso-flake "$(package "broken-flake-$nonce" "$broken")"
record builder-failure-flake 'nix build: a package of the image fails (exit 3)' flake_build builder-failure-flake "${offline[@]}"

# --- Ctrl-C while a builder runs: SIGINT to Nix's process group, as a terminal sends it.
image interrupted iso-channel "$(package "slow-$nonce" '"echo starting; echo waiting for Ctrl-C >&2; exec /bin/sleep 300"')"
setsid nix-build '<nixpkgs/nixos>' -A config.system.build.isoImage -I "nixos-config=$work/interrupted/configuration.nix" \
  "${channels[@]}" --out-link "$work/interrupted/result" "${log_format[@]}" "${offline[@]}" \
  >/dev/null 2>"$here/interrupted.log" &
pid=$!
for _ in $(seq 100); do grep -q 'waiting for Ctrl-C' "$here/interrupted.log" && break; sleep 0.1; done
kill -INT -- "-$pid"
code=0
wait "$pid" || code=$?
entries+=("$(printf '  "interrupted": { "exitCode": %d, "what": "nix-build: SIGINT to its process group while a builder runs" }' "$code")")
echo "recorded interrupted.log (exit $code)"

{
  echo '{'
  printf '  "nixVersion": "%s",\n' "$(nix --version | sed 's/^nix (Nix) //')"
  printf '  "recordedAt": "%s",\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  (
    IFS=$'\n'
    echo "${entries[*]}" | sed '$!s/$/,/'
  )
  echo '}'
} >"$here/recordings.json"
echo "wrote $here/recordings.json"
