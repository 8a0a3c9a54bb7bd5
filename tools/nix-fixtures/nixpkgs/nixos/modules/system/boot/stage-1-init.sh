#!/bin/sh
# /init of the stand-in ISO's initramfs (NixOS's stage 1, much reduced): the
# system's closure is already in this initramfs, so instead of finding the
# ISO and mounting its squashfs store it only mounts the kernel's file
# systems and hands over to init= from the kernel command line, the
# toplevel's stage 2, as NixOS's stage 1 does after switch_root.
export PATH=/bin
mkdir -p /proc /sys /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo
echo "<<< NixOS Stage 1 >>>"
echo
stage2=
for arg in $(cat /proc/cmdline); do
  case "$arg" in init=*) stage2=${arg#init=} ;; esac
done
if [ -z "$stage2" ] || [ ! -x "$stage2" ]; then
  echo "stage 1: init=${stage2:-(unset)} on the kernel command line is not an executable of this image; starting a shell"
  exec setsid cttyhack sh
fi
exec "$stage2"
