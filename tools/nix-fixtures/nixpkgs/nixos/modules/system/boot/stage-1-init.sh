#!/bin/sh
# /init of the stand-in ISO's initramfs (NixOS's stage 1, much reduced): the
# system's closure is already in this initramfs, which stands for the root
# file system NixOS's stage 1 mounts on /mnt-root (/mnt-root is a link to
# /). So instead of finding the ISO and mounting its squashfs store it only
# mounts the kernel's file systems, reads the command line as NixOS's
# stage-1-init.sh does (init= — the last one wins —, console=,
# boot.shell_on_fail, boot.panic_on_fail / stage1panic=1, boot.debug1,
# boot.trace) and hands over to stage 2. What goes wrong is reported in
# NixOS's words, with its fail(): a prompt that waits for a key, or with
# boot.panic_on_fail an exit, which the kernel turns into
# `Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100`.
export PATH=/bin
targetRoot=/mnt-root
console=tty1

fail() {
    if [ -n "$panicOnFail" ]; then exit 1; fi

    # NixOS's text, word for word.
    cat <<EOF

An error occurred in stage 1 of the boot process, which must mount the
root filesystem on \`$targetRoot' and then start stage 2.  Press one
of the following keys:

EOF
    if [ -n "$allowShell" ]; then cat <<EOF
  i) to launch an interactive shell
  f) to start an interactive shell having pid 1 (needed if you want to
     start stage 2's init manually)
EOF
    fi
    cat <<EOF
  r) to reboot immediately
  *) to ignore the error and continue
EOF

    read -n 1 reply

    if [ -n "$allowShell" ] && [ "$reply" = f ]; then
        exec setsid sh -c "exec sh < /dev/$console >/dev/$console 2>/dev/$console"
    elif [ -n "$allowShell" ] && [ "$reply" = i ]; then
        echo "Starting interactive shell..."
        setsid sh -c "exec sh < /dev/$console >/dev/$console 2>/dev/$console" || fail
    elif [ "$reply" = r ]; then
        echo "Rebooting..."
        reboot -f
    else
        echo "Continuing..."
    fi
}

trap 'fail' 0

echo
echo "<<< NixOS Stage 1 >>>"
echo

mkdir -p /proc /sys /dev /run
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
ln -sfn / "$targetRoot"

stage2Init=/init
for o in $(cat /proc/cmdline); do
    case $o in
        console=*)
            params=${o#console=}
            console=${params%%,*}
            ;;
        init=*)
            stage2Init=${o#init=}
            ;;
        boot.trace|debugtrace)
            set -x
            ;;
        boot.shell_on_fail)
            allowShell=1
            ;;
        boot.debug1|debug1)
            allowShell=1
            fail
            ;;
        boot.panic_on_fail|stage1panic=1)
            panicOnFail=1
            ;;
    esac
done

# Start stage 2. This initramfs's own /init is stage 1 (NixOS's root file
# system has no /init), so init= must name another one.
if [ "$stage2Init" = /init ] || [ ! -e "$targetRoot/$stage2Init" ]; then
    echo "stage 2 init script ($targetRoot/$stage2Init) not found"
    fail
fi

# As switch_root: stage 2 runs as PID 1 (a missing one ends this shell,
# and the trap above asks again).
trap - 0
exec "$stage2Init"
