# Stage 2 of the stand-in's boot (after config.sh, see ../stage-2.nix). Runs
# as PID 1 under busybox sh in the initramfs, which holds the system's closure
# in /nix/store, /bin/busybox and /bin/bash (bash-static). It prints what
# NixOS's stage 2, systemd and agetty print on the console, in their words:
#   <<< NixOS Stage 2 >>> / running activation script... / starting systemd...
#   [  OK  ] Started <unit>.            [FAILED] Failed to start <unit>.
#   See 'systemctl status <unit>' for details.
#   [  OK  ] Reached target <multi-user.target>.
#   <hostName> login: <user> (automatic login)
# <unit> follows systemd.status_unit_format= on the kernel command line as
# systemd does (description by default, or name, or combined).

export PATH=/bin
toplevel=${0%/init}
esc=$(printf '\033')

echo
echo "<<< $distroName Stage 2 >>>"
echo

mkdir -p /proc /sys /dev /run /tmp /etc /home /root /usr/bin /var/log
mounted() { grep -q "^[^ ]* $1 " /proc/mounts 2>/dev/null; }
mounted /proc || mount -t proc proc /proc
mounted /sys || mount -t sysfs sysfs /sys
mounted /dev || mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
chmod 1777 /tmp
ln -sfn /bin/busybox /usr/bin/env

echo "running activation script..."
echo "setting up /etc..."
ln -sfn "$toplevel" /run/current-system
ln -sfn "$toplevel" /run/booted-system
printf '%s\n' "$hostName" > /etc/hostname
hostname "$hostName"
printf 'root:x:0:0:System administrator:/root:/bin/bash\n' > /etc/passwd
printf 'root:x:0:\nwheel:x:1:%s\nusers:x:100:\nnogroup:x:65534:\n' "$wheel" > /etc/group
mkdir -p /etc/profiles/per-user
printf '%s' "$users" | while IFS=: read -r name uid group home profile; do
  [ -n "$name" ] || continue
  ln -sfn "$profile" "/etc/profiles/per-user/$name"
  [ "$name" = root ] && continue
  gid=100; [ "$group" = users ] || gid=65534
  printf '%s:x:%s:%s::%s:/bin/bash\n' "$name" "$uid" "$gid" "$home" >> /etc/passwd
  mkdir -p "$home" && chown "$uid:$gid" "$home"
done
printf '%s' "$homeProfiles" | while IFS=: read -r name path; do
  [ -n "$name" ] || continue
  home=$(awk -F: -v u="$name" '$1 == u { print $6 }' /etc/passwd)
  [ -n "$home" ] && ln -sfn "$path" "$home/.nix-profile"
done

# As NixOS's /etc/profile and bash.nix: PATH from the profiles, the prompt.
cat > /etc/profile <<'EOF'
export PATH="/run/wrappers/bin:$HOME/.nix-profile/bin:/etc/profiles/per-user/$USER/bin:/run/current-system/sw/bin:/bin"
export TERM=${TERM:-vt220}
if [ "$TERM" != dumb ]; then
  PROMPT_COLOR="1;31m"
  ((UID)) && PROMPT_COLOR="1;32m"
  PS1="\n\[\033[$PROMPT_COLOR\][\[\e]0;\u@\h: \w\a\]\u@\h:\w]\\$\[\033[0m\] "
fi
# A serial console reports no size; readline would redraw the prompt oddly.
[ "$(stty size 2>/dev/null)" != "0 0" ] || stty rows 24 cols 200 2>/dev/null
cd "$HOME" 2>/dev/null
EOF

# poweroff/reboot for the unprivileged autologin user go through PID 1, as
# they would through logind; sudo (passwordless for wheel on the installer)
# only knows these here.
mkdir -p /run/wrappers/bin /run/nixiso
mkfifo -m 0622 /run/nixiso/power
for cmd in poweroff reboot halt shutdown; do
  cat > "/run/wrappers/bin/$cmd" <<EOF
#!/bin/sh
echo $cmd > /run/nixiso/power
sleep 10
EOF
done
cat > /run/wrappers/bin/sudo <<'EOF'
#!/bin/sh
case "$1" in
  poweroff|reboot|halt|shutdown) exec "/run/wrappers/bin/$1" ;;
  *) echo "sudo: the nixiso fixture's sudo runs only poweroff, reboot, halt and shutdown" >&2; exit 1 ;;
esac
EOF
chmod 0755 /run/wrappers/bin/*
(
  while :; do
    read -r request < /run/nixiso/power
    case "$request" in
      reboot) reboot -f ;;
      poweroff|halt|shutdown) poweroff -f ;;
    esac
  done
) &

if ! /bin/bash "$activateScript"; then
  : # each failing snippet has said so, as in NixOS
fi

echo "starting systemd..."

# --- systemd, as far as the console shows it --------------------------------
unitFormat=description
for arg in $(cat /proc/cmdline); do
  case "$arg" in systemd.status_unit_format=*) unitFormat=${arg#*=} ;; esac
done
unitString() { # unit description [plain]: the journal has no colours
  case "$unitFormat" in
    name) printf '%s' "$1" ;;
    combined) if [ -n "$3" ]; then printf '%s - %s' "$1" "$2"; else printf '%s[0;1;39m%s%s[0m - %s' "$esc" "$1" "$esc" "$2"; fi ;;
    *) printf '%s' "$2" ;;
  esac
}
ok() { printf '[%s[0;32m  OK  %s[0m] %s\n' "$esc" "$esc" "$1"; }
failed() { printf '[%s[0;1;31mFAILED%s[0m] %s\n' "$esc" "$esc" "$1"; }
journal() { # unit identifier[pid] message
  printf '%s\t%s %s %s: %s\n' "$1" "$(date '+%b %d %H:%M:%S')" "$hostName" "$2" "$3" >> /run/log/journal.txt
}
mkdir -p /run/log /run/nixiso/units
: > /run/log/journal.txt

printf '\nWelcome to %s[1m%s %s (%s)%s[0m!\n\n' "$esc" "$distroName" "$release" "$codeName" "$esc"

printf '%s' "$services" > /run/nixiso/services
while IFS='|' read -r unit user ident exec description; do
  [ -n "$unit" ] || continue
  out=/run/nixiso/units/$unit.out
  since=$(date '+%a %Y-%m-%d %H:%M:%S %Z')
  if [ "$user" = root ]; then
    env PATH=/bin:/run/current-system/sw/bin sh -c "exec $exec" > "$out" 2>&1 < /dev/null &
  else
    env PATH=/bin:/run/current-system/sw/bin su -s /bin/sh -c "exec $exec" "$user" > "$out" 2>&1 < /dev/null &
  fi
  pid=$!
  wait "$pid"
  rc=$?
  while IFS= read -r line; do journal "$unit" "$ident[$pid]" "$line"; done < "$out"
  what=$(unitString "$unit" "$description")
  plain=$(unitString "$unit" "$description" plain)
  if [ "$rc" -eq 0 ]; then
    journal "$unit" "systemd[1]" "Finished $plain."
    ok "Started $what."
    printf 'active\t%s\t%s\t0/SUCCESS\t%s\t%s\n' "$pid" "$since" "$exec" "$description" > "/run/nixiso/units/$unit"
  else
    journal "$unit" "systemd[1]" "$unit: Main process exited, code=exited, status=$rc/FAILURE"
    journal "$unit" "systemd[1]" "$unit: Failed with result 'exit-code'."
    journal "$unit" "systemd[1]" "Failed to start $plain."
    failed "Failed to start $what."
    echo "See 'systemctl status $unit' for details."
    # Not on a real console (it is in the journal there): the stand-in shows
    # the unit's journal right away, as `journalctl -u <unit>` prints it.
    grep "^$unit	" /run/log/journal.txt | cut -f2-
    printf 'failed\t%s\t%s\t%s/FAILURE\t%s\t%s\n' "$pid" "$since" "$rc" "$exec" "$description" > "/run/nixiso/units/$unit"
  fi
done < /run/nixiso/services
ok "Reached target $(unitString multi-user.target 'Multi-User System')."

# journalctl -u <unit> and systemctl status <unit>, for the units above.
cat > /bin/journalctl <<'EOF'
#!/bin/sh
unit=
while [ $# -gt 0 ]; do
  case "$1" in
    -u|--unit) unit=$2; shift ;;
    --unit=*) unit=${1#*=} ;;
    -u*) unit=${1#-u} ;;
  esac
  shift
done
case "$unit" in ''|*.*) ;; *) unit=$unit.service ;; esac
if [ -z "$unit" ]; then cut -f2- /run/log/journal.txt; else grep "^$unit	" /run/log/journal.txt | cut -f2-; fi
EOF
cat > /bin/systemctl <<'EOF'
#!/bin/sh
[ "$1" = status ] || { echo "systemctl: the nixiso fixture knows only 'systemctl status <unit>'" >&2; exit 1; }
shift
while [ "${1#-}" != "$1" ]; do shift; done
unit=$1
case "$unit" in *.*) ;; *) unit=$unit.service ;; esac
[ -f "/run/nixiso/units/$unit" ] || { echo "Unit $unit could not be found."; exit 4; }
IFS='	' read -r state pid since status exec description < "/run/nixiso/units/$unit"
if [ "$state" = active ]; then
  printf '● %s - %s\n' "$unit" "$description"
  printf '     Loaded: loaded (/etc/systemd/system/%s; enabled; preset: enabled)\n' "$unit"
  printf '     Active: active (exited) since %s\n' "$since"
else
  printf '× %s - %s\n' "$unit" "$description"
  printf '     Loaded: loaded (/etc/systemd/system/%s; enabled; preset: enabled)\n' "$unit"
  printf "     Active: failed (Result: exit-code) since %s\n" "$since"
fi
printf '    Process: %s ExecStart=%s (code=exited, status=%s)\n' "$pid" "$exec" "$status"
printf '   Main PID: %s (code=exited, status=%s)\n\n' "$pid" "$status"
grep "^$unit	" /run/log/journal.txt | cut -f2-
[ "$state" = active ] || exit 3
EOF
chmod 0755 /bin/journalctl /bin/systemctl

# --- getty@ttyS0 with autologin -----------------------------------------------
tty=$(cat /sys/class/tty/console/active 2>/dev/null); tty=${tty##* }; tty=${tty:-console}
greeting=$(printf '%s' "$greetingLine" | sed -e "s/\\\\m/$machine/g" -e "s/\\\\l/$tty/g")
printf '\n%s[1;32m%s%s[0m\n' "$esc" "$greeting" "$esc"
[ -z "$helpLine" ] || printf '%s\n' "$helpLine"
if [ -n "$autologinUser" ]; then
  printf '\n%s login: %s (automatic login)\n\n' "$hostName" "$autologinUser"
  setsid cttyhack su -l "$autologinUser"
else
  printf '\n%s login: ' "$hostName"
  setsid cttyhack login
fi
# The session ended: there is no second getty here.
poweroff -f
sleep 10
