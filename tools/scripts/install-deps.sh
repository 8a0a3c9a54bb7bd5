#!/usr/bin/env bash
# Installs what nixiso's development needs on Debian/Ubuntu: Nix (Debian's
# nix-bin, 2.8), xorriso (the offline nixpkgs stand-in writes real ISO files
# with it), git, QEMU, busybox-static, bash-static and cpio (the stand-in's
# ISO carries a busybox initramfs that the boot tests run under QEMU), zsh,
# zsh-common, fish and patchelf (the stand-in's login shells are the host's,
# made self-contained), a Debian cloud kernel for that ISO, strace (a build records what Nix read
# by tracing it), and the npm dependencies from package-lock.json.
# Idempotent; skips apt when everything is there.
set -euo pipefail
cd "$(dirname "$0")/../.."

# Where the stand-in's ISO builder reads the kernel (tools/nix-fixtures/README.md,
# "Booting the stand-in's ISO"); NIXISO_FIXTURE_KERNEL overrides it for developers.
kernel_dir=/var/lib/nixiso-fixtures
kernel_meta=linux-image-cloud-amd64

if [ "$(id -u)" -eq 0 ]; then sudo=; else sudo=sudo; fi

missing=()
command -v nix-build >/dev/null 2>&1 || missing+=(nix-bin)
command -v xorriso >/dev/null 2>&1 || missing+=(xorriso)
command -v git >/dev/null 2>&1 || missing+=(git)
command -v qemu-system-x86_64 >/dev/null 2>&1 || missing+=(qemu-system-x86)
[ -x /bin/busybox ] || missing+=(busybox-static)
[ -x /bin/bash-static ] || missing+=(bash-static)
command -v cpio >/dev/null 2>&1 || missing+=(cpio)
command -v strace >/dev/null 2>&1 || missing+=(strace)
# Login shells for the stand-in (nixpkgs/pkgs/shells.nix), without fish's
# recommended browser and clipboard tools.
shells=()
[ -x /bin/zsh ] && ls -d /usr/lib/*/zsh/[0-9]* >/dev/null 2>&1 || shells+=(zsh)
[ -d /usr/share/zsh/functions/Prompts ] || shells+=(zsh-common)
[ -x /usr/bin/fish ] || shells+=(fish)
command -v patchelf >/dev/null 2>&1 || shells+=(patchelf)
updated=
if ((${#missing[@]} + ${#shells[@]})); then
  $sudo apt-get update
  updated=1
fi
if ((${#missing[@]})); then
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "${missing[@]}"
fi
if ((${#shells[@]})); then
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${shells[@]}"
fi
nix --version

# The kernel is fetched, not installed: no initramfs-tools hooks, nothing in /boot.
if [ ! -s "$kernel_dir/vmlinuz" ]; then
  [ -n "$updated" ] || $sudo apt-get update
  # The metapackage depends on the real one, linux-image-<version>-cloud-amd64.
  kernel_pkg=$(apt-cache depends "$kernel_meta" | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n 1)
  [ -n "$kernel_pkg" ] || { echo "install-deps: cannot find the kernel package $kernel_meta depends on" >&2; exit 1; }
  work=$(mktemp -d)
  chmod 755 "$work" # apt-get download drops to the _apt user
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && apt-get download "$kernel_pkg")
  dpkg-deb -x "$work"/"$kernel_pkg"_*.deb "$work/root"
  $sudo mkdir -p "$kernel_dir"
  $sudo cp "$work"/root/boot/vmlinuz-* "$kernel_dir/vmlinuz.tmp"
  echo "$kernel_pkg" | $sudo tee "$kernel_dir/vmlinuz.package" >/dev/null
  $sudo mv "$kernel_dir/vmlinuz.tmp" "$kernel_dir/vmlinuz"
  echo "install-deps: $kernel_pkg's kernel is at $kernel_dir/vmlinuz"
fi
# Nix builds as the nixbld users (build-users-group): they must be able to read it, whatever the umask was.
$sudo chmod a+rx "$kernel_dir"
$sudo chmod a+r "$kernel_dir/vmlinuz"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
