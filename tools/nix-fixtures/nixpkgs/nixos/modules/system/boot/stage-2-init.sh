# Stage 2 of the stand-in's boot (after config.sh, see ../stage-2.nix). Runs
# as PID 1 under bash (bash-static, as NixOS's stage 2 runs under bash) in
# the initramfs, which holds the system's closure in /nix/store,
# /bin/busybox and /bin/bash. It prints what NixOS's stage 2, systemd and
# agetty print on the console, in their words, and answers systemctl and
# journalctl as systemd does (see "systemd" below and lib.sh):
#   <<< NixOS Stage 2 >>> / running activation script... / starting systemd...
#            Starting <unit>...         (Type=oneshot)
#   [  OK  ] Started <unit>.            [  OK  ] Finished <unit>.
#   [FAILED] Failed to start <unit>.
#   See 'systemctl status <unit>' for details.
#   [  OK  ] Reached target <multi-user.target>.
#   <hostName> login: <user> (automatic login)
# <unit> follows systemd.status_unit_format= on the kernel command line as
# systemd does (description by default, or name, or combined).

export PATH=/bin
toplevel=${0%/init}
esc=$(printf '\033')

echo
printf '%s[1;32m<<< %s Stage 2 >>>%s[0m\n' "$esc" "$distroName" "$esc"
echo

mkdir -p /proc /sys /dev /run /tmp /etc /home /root /usr/bin /var/log
mounted() { grep -q "^[^ ]* $1 " /proc/mounts 2>/dev/null; }
mounted /proc || mount -t proc proc /proc
mounted /sys || mount -t sysfs sysfs /sys
mounted /dev || mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
# As udev and systemd make them (bash's <(…) needs /dev/fd).
ln -sfn /proc/self/fd /dev/fd
for i in 0:stdin 1:stdout 2:stderr; do ln -sfn "/proc/self/fd/${i%%:*}" "/dev/${i#*:}"; done
chmod 1777 /tmp
ln -sfn /bin/busybox /usr/bin/env

ln -sfn "$toplevel" /run/current-system
ln -sfn "$toplevel" /run/booted-system
printf '%s\n' "$hostName" > /etc/hostname
hostname "$hostName"
# Each user's login shell (users.users.<name>.shell) as NixOS writes it:
# /run/current-system/sw/bin/<shell> for a shell package, else the path.
printf 'root:x:0:0:System administrator:/root:%s\n' "$(printf '%s' "$users" | awk -F: '$1 == "root" { print $6 }')" > /etc/passwd
printf 'root:x:0:\nwheel:x:1:%s\nusers:x:100:\nnogroup:x:65534:\n' "$wheel" > /etc/group
mkdir -p /etc/profiles/per-user
printf '%s' "$users" | while IFS=: read -r name uid group home profile shell; do
  [ -n "$name" ] || continue
  ln -sfn "$profile" "/etc/profiles/per-user/$name"
  [ "$name" = root ] && continue
  gid=100; [ "$group" = users ] || gid=65534
  printf '%s:x:%s:%s::%s:%s\n' "$name" "$uid" "$gid" "$home" "$shell" >> /etc/passwd
  mkdir -p "$home" && chown "$uid:$gid" "$home"
done
cut -d: -f7 /etc/passwd | grep . | sort -u > /etc/shells
# glibc's programs (the host's zsh-static and fish) look users up through it.
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n' > /etc/nsswitch.conf
printf '%s' "$homeProfiles" | while IFS=: read -r name path; do
  [ -n "$name" ] || continue
  home=$(awk -F: -v u="$name" '$1 == u { print $6 }' /etc/passwd)
  [ -n "$home" ] && ln -sfn "$path" "$home/.nix-profile"
done

# Each shell's start-up files, as NixOS's shells-environment.nix, bash.nix,
# zsh.nix and fish.nix write them: the environment (PATH from the profiles)
# in /etc/set-environment, then per shell its programs.<shell>.promptInit
# and interactiveShellInit (config.sh). A serial console reports no size,
# which line editors redraw oddly: each interactive init sets one.
cat > /etc/set-environment <<'EOF'
export __NIXOS_SET_ENVIRONMENT_DONE=1
export PATH="/run/wrappers/bin:$HOME/.nix-profile/bin:/etc/profiles/per-user/$USER/bin:/run/current-system/sw/bin:/bin"
export TERM=${TERM:-vt220}
EOF
cat > /etc/profile <<'EOF'
if [ -z "$__NIXOS_SET_ENVIRONMENT_DONE" ]; then . /etc/set-environment; fi
cd "$HOME" 2>/dev/null
if [ -n "${BASH_VERSION:-}" ]; then . /etc/bashrc; fi
EOF
{
  cat <<'EOF'
if [ -n "$__ETC_BASHRC_SOURCED" ] || [ -n "$NOSYSBASHRC" ]; then return; fi
__ETC_BASHRC_SOURCED=1
if [ -z "$__NIXOS_SET_ENVIRONMENT_DONE" ]; then . /etc/profile; fi
if [ -n "$PS1" ]; then
[ "$(stty size 2>/dev/null)" != "0 0" ] || stty rows 24 cols 200 2>/dev/null
shopt -s checkwinsize
EOF
  printf '%s\n%s\nfi\n' "$bashPromptInit" "$bashInteractiveShellInit"
} > /etc/bashrc
ln -sfn bashrc /etc/bash.bashrc # where Debian's bash-static looks for it
if [ -n "$zshEnable" ]; then
  # NixOS's zsh reads /etc/zshenv, zprofile, zshrc; the host's (Debian's)
  # /etc/zsh/*. Its modules and functions are in its store path, where
  # NixOS's zsh has them built in; the first lines say so.
  mkdir -p /etc/zsh
  for f in zshenv zprofile zshrc; do ln -sfn "../$f" "/etc/zsh/$f"; done
  {
    cat <<'EOF'
module_path=(${${:-/proc/$$/exe}:A:h:h}/lib/zsh/$ZSH_VERSION $module_path)
fpath=(${${:-/proc/$$/exe}:A:h:h}/share/zsh/$ZSH_VERSION/functions $fpath)
if [ -n "$__ETC_ZSHENV_SOURCED" ]; then return; fi
export __ETC_ZSHENV_SOURCED=1
if [ -z "$__NIXOS_SET_ENVIRONMENT_DONE" ]; then . /etc/set-environment; fi
EOF
    printf '%s\n' "$zshShellInit"
    cat <<'EOF'
# NixOS's zsh runs zsh-newuser-install (its zsh/newuser module, right after
# this file) in an interactive shell of a user without ~/.zshenv, .zprofile,
# .zshrc or .zlogin; the host's zsh looks for it in /usr: the stand-in does it.
if [[ -o interactive && -o rcs && ! -e ${ZDOTDIR:-$HOME}/.zshenv && ! -e ${ZDOTDIR:-$HOME}/.zprofile && ! -e ${ZDOTDIR:-$HOME}/.zshrc && ! -e ${ZDOTDIR:-$HOME}/.zlogin ]]; then
  autoload -U +X zsh-newuser-install 2>/dev/null && zsh-newuser-install
fi
EOF
  } > /etc/zshenv
  {
    cat <<'EOF'
if [ -n "$__ETC_ZPROFILE_SOURCED" ]; then return; fi
__ETC_ZPROFILE_SOURCED=1
EOF
    printf '%s\n' "$zshLoginShellInit"
  } > /etc/zprofile
  {
    cat <<'EOF'
if [ -n "$__ETC_ZSHRC_SOURCED" -o -n "$NOSYSZSHRC" ]; then return; fi
__ETC_ZSHRC_SOURCED=1
[ "$(stty size 2>/dev/null)" != "0 0" ] || stty rows 24 cols 200 2>/dev/null
SAVEHIST=2000
HISTSIZE=2000
HISTFILE=$HOME/.zsh_history
setopt HIST_IGNORE_DUPS SHARE_HISTORY HIST_FCNTL_LOCK
EOF
    printf '%s\n%s\n' "$zshInteractiveShellInit" "$zshPromptInit"
  } > /etc/zshrc
fi
if [ -n "$fishEnable" ]; then
  mkdir -p /etc/fish
  {
    cat <<'EOF'
if not set -q __fish_nixos_general_config_sourced
  set -gx PATH /run/wrappers/bin $HOME/.nix-profile/bin /etc/profiles/per-user/$USER/bin /run/current-system/sw/bin /bin
  set -q TERM; or set -gx TERM vt220
EOF
    printf '%s\n' "$fishShellInit"
    cat <<'EOF'
  set -g __fish_nixos_general_config_sourced 1
end
status is-login; and not set -q __fish_nixos_login_config_sourced
and begin
EOF
    printf '%s\n' "$fishLoginShellInit"
    cat <<'EOF'
  set -g __fish_nixos_login_config_sourced 1
end
status is-interactive; and not set -q __fish_nixos_interactive_config_sourced
and begin
  set -l size (stty size 2>/dev/null)
  test "$size" = "0 0"; and stty rows 24 cols 200 2>/dev/null
EOF
    printf '%s\n%s\n' "$fishPromptInit" "$fishInteractiveShellInit"
    cat <<'EOF'
  set -g __fish_nixos_interactive_config_sourced 1
end
EOF
  } > /etc/fish/config.fish
fi
# NixOS links /etc/terminfo to the system profile's terminfo database.
[ -z "$terminfo" ] || ln -sfn "$terminfo" /etc/terminfo

# poweroff/reboot go through PID 1, as systemctl asks systemd (logind lets
# the console's user do it): a request on /run/nixiso/power, read by the
# main loop at the end. `-f` skips stopping the units (systemd-shutdown
# still runs), `-ff` powers off at once. sudo (passwordless for wheel on the
# installer) has no setuid binary to run as root here: it passes the power
# commands on, and runs true, systemctl and journalctl as the user (they
# answer root and the user alike).
mkdir -p /run/wrappers/bin /run/nixiso/units /run/nixiso/jobs /run/nixiso/stopping.d /run/log
mkfifo -m 0622 /run/nixiso/power
cat > /run/nixiso/power-request <<'EOF'
#!/bin/sh
verb=$1 force=0
shift
for a in "$@"; do
  case "$a" in
    -f|--force) force=$((force + 1)) ;;
    -ff) force=$((force + 2)) ;;
    -r|--reboot) [ "$verb" = shutdown ] && verb=reboot ;;
    -H|--halt) [ "$verb" = shutdown ] && verb=halt ;;
    -c) exit 0 ;;
  esac
done
[ "$verb" = shutdown ] && verb=poweroff
[ "$force" -le 2 ] || force=2
echo "$verb $force" > /run/nixiso/power
sleep 1000
EOF
for cmd in poweroff reboot halt shutdown; do
  printf '#!/bin/sh\nexec /run/nixiso/power-request %s "$@"\n' "$cmd" > "/run/wrappers/bin/$cmd"
done
cat > /run/wrappers/bin/sudo <<'EOF'
#!/bin/sh
while [ $# -gt 0 ]; do
  case "$1" in
    -u|-g|-C|-D|-h|-p|-r|-t|-U) shift 2 ;;
    --) shift; break ;;
    -*) shift ;;
    *) break ;;
  esac
done
if [ "$(id -u)" != 0 ] && ! id -Gn | tr ' ' '\n' | grep -qx wheel; then
  echo "sudo: a password is required" >&2; exit 1
fi
case "$1" in
  poweroff|reboot|halt|shutdown) exec "/run/wrappers/bin/$@" ;;
  true|systemctl|journalctl) exec "$@" ;;
  *) echo "sudo: the nixiso fixture's sudo runs only poweroff, reboot, halt, shutdown, systemctl, journalctl and true" >&2; exit 1 ;;
esac
EOF
chmod 0755 /run/nixiso/power-request /run/wrappers/bin/*

# The journal and the unit state (see lib.sh), readable by every user.
unitFormat=description
for arg in $(cat /proc/cmdline); do
  case "$arg" in systemd.status_unit_format=*) unitFormat=${arg#*=} ;; esac
done
printf 'hostName=%q\nunitFormat=%q\n' "$hostName" "$unitFormat" > /run/nixiso/env
: > /run/nixiso/journal
chmod 0644 /run/nixiso/journal
cat > /run/nixiso/lib.sh <<'EOF'
# The stand-in's systemd, shared by stage 2 (PID 1), its service supervisors,
# systemctl and journalctl (nixiso fixture). State lives in /run/nixiso:
#   units/<unit>   the unit's properties, shell assignments (later ones win)
#   jobs/<id>      a queued job (JobUnit, JobType, JobState, JobBegin, …)
#   journal        one entry a line: time, unit, identifier, pid, message,
#                  separated by \x1f
R=/run/nixiso
J=$R/journal
esc=$'\e'
[ -r $R/env ] && . $R/env

journal() { # unit identifier pid message
  local t
  printf -v t '%(%b %d %H:%M:%S)T' -1
  printf '%s\x1f%s\x1f%s\x1f%s\x1f%s\n' "$t" "$1" "$2" "$3" "$4" >> "$J"
}
sd() { journal "$1" systemd 1 "$2"; } # unit message: what PID 1 logs about a unit

# The unit as status lines name it (systemd.status_unit_format=); plain for the journal.
unitString() { # unit description [plain]
  case "$unitFormat" in
    name) printf '%s' "$1" ;;
    combined) if [ -n "$3" ]; then printf '%s - %s' "$1" "$2"; else printf '%s[0;1;39m%s%s[0m - %s' "$esc" "$1" "$esc" "$2"; fi ;;
    *) printf '%s' "$2" ;;
  esac
}

# systemd's console status lines (show-status.c): an ephemeral line (a
# running job) is rewritten by the next one: reverse line feed, \r, erase.
console() { # text [ephemeral]
  local pre= post=
  if [ -e $R/ephemeral ]; then
    rm -f $R/ephemeral
    pre=$'\eM\r\e[K'
    [ -n "$2" ] || post=$'\e[K'
  fi
  printf '%s%s\n%s' "$pre" "$1" "$post"
  [ -z "$2" ] || : > $R/ephemeral
}
ok() { console "[${esc}[0;32m  OK  ${esc}[0m] $1"; }
failed() { console "[${esc}[0;1;31mFAILED${esc}[0m] $1"; }
indented() { console "         $1"; }

unit_set() { # unit KEY=value…
  local f=$R/units/$1 kv; shift
  {
    [ -f "$f" ] && cat "$f"
    for kv in "$@"; do printf '%s=%q\n' "${kv%%=*}" "${kv#*=}"; done
  } > "$f.new.$BASHPID" && mv -f "$f.new.$BASHPID" "$f"
}
UNIT_KEYS="Id Description Type RemainAfterExit User Ident ExecStart ExecStop ActiveState SubState Result MainPID ExecMainPID ExecMainCode ExecMainStatus Since ActiveEnter"
unit_load() { # unit: its properties as shell variables; false when unknown
  local k
  for k in $UNIT_KEYS; do eval "$k="; done
  [ -f "$R/units/$1" ] || return 1
  . "$R/units/$1"
}

job_set() { # id KEY=value…
  local f=$R/jobs/$1 kv; shift
  { [ -f "$f" ] && cat "$f"; for kv in "$@"; do printf '%s=%q\n' "${kv%%=*}" "${kv#*=}"; done; } > "$f.new" && mv -f "$f.new" "$f"
}
job_done() { rm -f "$R/jobs/$1"; echo "$EPOCHSECONDS" > $R/job-event; }

# systemd's exit status names (exit-status.c) and signal names.
exit_status() { # rc → code status (as "Main process exited, code=… status=…" says them)
  local rc=$1 name
  if [ "$rc" -gt 128 ] && [ "$rc" -lt 160 ]; then
    code=killed; status="$((rc - 128))/$(kill -l $((rc - 128)))"; result=signal
    return
  fi
  case "$rc" in
    0) name=SUCCESS ;; 1) name=FAILURE ;; 2) name=INVALIDARGUMENT ;; 3) name=NOTIMPLEMENTED ;;
    4) name=NOPERMISSION ;; 5) name=NOTINSTALLED ;; 6) name=NOTCONFIGURED ;; 7) name=NOTRUNNING ;;
    *) name=n/a ;;
  esac
  code=exited; status="$rc/$name"; result=exit-code
}

# format_timespan() at a second's accuracy: 5s, 1min 30s, 2h 3min.
timespan() {
  local s=$1 out=
  [ "$s" -ge 3600 ] && { out="$((s / 3600))h"; s=$((s % 3600)); }
  [ "$s" -ge 60 ] && { out="${out:+$out }$((s / 60))min"; s=$((s % 60)); }
  [ "$s" -gt 0 ] || [ -z "$out" ] && out="${out:+$out }${s}s"
  printf '%s' "$out"
}
# TimeoutStopSec= in seconds (0: infinity).
seconds() {
  case "$1" in
    infinity|0) echo 0 ;;
    *min) echo $(( ${1%min} * 60 )) ;;
    *ms) echo 1 ;;
    *s) echo "${1%s}" ;;
    *[!0-9]*|'') echo 90 ;;
    *) echo "$1" ;;
  esac
}
EOF
. /run/nixiso/lib.sh

# Stage 2's output goes to the console and, as NixOS sends it to /dev/kmsg
# prefixed `stage-2-init: `, to the journal under that identifier.
{
  echo "running activation script..."
  echo "setting up /etc..."
  /bin/bash "$activateScript" # a failing snippet says so and the boot goes on, as in NixOS
} 2>&1 | while IFS= read -r line || [ -n "$line" ]; do
  printf '%s\n' "$line"
  [ -z "$line" ] || journal "" stage-2-init "" "$line"
done

echo "starting systemd..."

# --- systemd -------------------------------------------------------------------
# What the console, the journal, systemctl and journalctl show of it:
# - all services wanted by multi-user.target start at once, each watched by
#   a supervisor below. Type=oneshot: the start job lasts until the process
#   exits (`Starting …`, then `[  OK  ] Finished …` or `[FAILED] Failed to
#   start …`); simple (the default), exec, notify, forking, idle: the job
#   ends at the fork (`[  OK  ] Started …`); the main process's later exit
#   makes the unit inactive or failed, in the journal only.
# - multi-user.target (job 1) is reached once no other job is left; a
#   oneshot that never exits keeps it waiting (no start timeout, as for
#   oneshot in systemd) while `A start job is running for …` is rewritten on
#   the console every second after 5 s without a finished job.
# - the units' output goes to the journal only (identifier[pid]: line).
# - poweroff/reboot/halt: stop jobs (ExecStop; a hanging one hangs the
#   shutdown until TimeoutStopSec=, 90 s by default), the unmounts (a live
#   image's /nix/store fails to unmount), then systemd-shutdown's kernel
#   log lines and the kernel's own (`reboot: Power down`).
# Unit names on the console follow systemd.status_unit_format= (see lib.sh).
printf '\nWelcome to %s[1m%s %s (%s)%s[0m!\n\n' "$esc" "$distroName" "$release" "$codeName" "$esc"

cat > /bin/journalctl <<'JOURNALCTL'
#!/bin/bash
# journalctl as far as the stand-in's journal goes (nixiso fixture): -b,
# -u/--unit, -t/--identifier, -n/--lines, -o short|cat, -r, -q, --no-pager.
. /run/nixiso/lib.sh
units=() idents=() lines= output=short quiet= reverse= boot=0
while [ $# -gt 0 ]; do
  case "$1" in
    -b|--boot)
      case "${2-}" in [+-][0-9]*|[0-9]*) boot=$2; shift ;; esac ;;
    --boot=*) boot=${1#*=} ;;
    -b*) boot=${1#-b} ;;
    -u|--unit) units+=("$2"); shift ;;
    --unit=*) units+=("${1#*=}") ;;
    -u*) units+=("${1#-u}") ;;
    -t|--identifier) idents+=("$2"); shift ;;
    --identifier=*) idents+=("${1#*=}") ;;
    -t*) idents+=("${1#-t}") ;;
    -n|--lines)
      case "${2-}" in [0-9]*|+[0-9]*) lines=$2; shift ;; *) lines=10 ;; esac ;;
    --lines=*) lines=${1#*=} ;;
    -n*) lines=${1#-n} ;;
    -o|--output) output=$2; shift ;;
    --output=*) output=${1#*=} ;;
    -o*) output=${1#-o} ;;
    -q|--quiet) quiet=1 ;;
    -r|--reverse) reverse=1 ;;
    --no-pager|-e|--pager-end|-x|--catalog|-l|--full|-a|--all|--no-hostname|--system|-m|--merge) ;;
    -f|--follow) echo "journalctl: the nixiso fixture's journal cannot be followed" >&2; exit 1 ;;
    -*) echo "journalctl: the nixiso fixture does not model option $1" >&2; exit 1 ;;
    *) echo "journalctl: the nixiso fixture does not model matches ($1); use -u or -t" >&2; exit 1 ;;
  esac
  shift
done
case "$output" in short|cat) ;; *) echo "journalctl: the nixiso fixture writes only -o short and -o cat" >&2; exit 1 ;; esac
case "$boot" in 0|-0|+0|'') ;; *)
  echo "Data from the specified boot ($boot) is not available: No such boot ID in journal" >&2; exit 1 ;;
esac
for k in "${!units[@]}"; do case "${units[$k]}" in *.*) ;; *) units[$k]=${units[$k]}.service ;; esac; done

matches() { # unit identifier
  local x ok=
  if [ ${#units[@]} -gt 0 ]; then
    for x in "${units[@]}"; do [[ "$1" == $x ]] && ok=1; done
    [ -n "$ok" ] || return 1
    ok=
  fi
  if [ ${#idents[@]} -gt 0 ]; then
    for x in "${idents[@]}"; do [ "$2" = "$x" ] && ok=1; done
    [ -n "$ok" ] || return 1
  fi
  return 0
}
read -r host < /etc/hostname
out=()
while IFS=$'\x1f' read -r t unit ident pid msg; do
  matches "$unit" "$ident" || continue
  if [ "$output" = cat ]; then out+=("$msg"); else out+=("$t $host $ident${pid:+[$pid]}: $msg"); fi
done < "$J"
n=${#out[@]}
first=0
if [ -n "$lines" ]; then lines=${lines#+}; [ "$n" -gt "$lines" ] && first=$((n - lines)); fi
if [ "$n" -eq "$first" ]; then
  [ -n "$quiet" ] || echo "-- No entries --"
  exit 0
fi
if [ -n "$reverse" ]; then
  for ((k = n - 1; k >= first; k--)); do printf '%s\n' "${out[$k]}"; done
else
  for ((k = first; k < n; k++)); do printf '%s\n' "${out[$k]}"; done
fi
JOURNALCTL
cat > /bin/systemctl <<'SYSTEMCTL'
#!/bin/bash
# systemctl as the stand-in's systemd answers it (nixiso fixture): status,
# is-active, is-failed, is-system-running [--wait], list-units (--failed,
# --state=, --type=, --all, --plain, --no-legend), list-jobs, show,
# poweroff/reboot/halt. Output formats are systemd's (systemctl-*.c).
. /run/nixiso/lib.sh
verb= args=() plain= legend=1 all= wait= quiet= states=() types=() props=() value=
while [ $# -gt 0 ]; do
  case "$1" in
    --failed) states+=(failed) ;;
    --state=*) IFS=, read -ra s <<< "${1#*=}"; states+=("${s[@]}") ;;
    --state) IFS=, read -ra s <<< "$2"; states+=("${s[@]}"); shift ;;
    -t|--type) IFS=, read -ra s <<< "$2"; types+=("${s[@]}"); shift ;;
    --type=*) IFS=, read -ra s <<< "${1#*=}"; types+=("${s[@]}") ;;
    -a|--all) all=1 ;;
    --plain) plain=1 ;;
    --no-legend|--legend=no|--legend=false) legend= ;;
    --wait) wait=1 ;;
    -q|--quiet) quiet=1 ;;
    -p|--property) IFS=, read -ra s <<< "$2"; props+=("${s[@]}"); shift ;;
    --property=*) IFS=, read -ra s <<< "${1#*=}"; props+=("${s[@]}") ;;
    -P) IFS=, read -ra s <<< "$2"; props+=("${s[@]}"); value=1; shift ;;
    --value) value=1 ;;
    -l|--full|--no-pager|--no-ask-password|--system|-n|--lines=*|-o|--output=*|--no-block|-f|--force|-i|--ignore-inhibitors|--check-inhibitors=*|--when=*|--message=*) ;;
    -*) echo "systemctl: the nixiso fixture does not model option $1" >&2; exit 1 ;;
    *) if [ -z "$verb" ]; then verb=$1; else args+=("$1"); fi ;;
  esac
  shift
done
[ -n "$verb" ] || verb=list-units

unit_name() { case "$1" in *.*) printf '%s' "$1" ;; *) printf '%s.service' "$1" ;; esac; }
all_units() { local f; for f in $R/units/*; do case "$f" in *.new.*) continue ;; esac; [ -f "$f" ] && printf '%s\n' "${f##*/}"; done; }
job_of() { # unit → JobId JobType JobState, false without a job
  local f
  for f in $R/jobs/*; do
    case "$f" in *.new) continue ;; esac
    [ -f "$f" ] || continue
    JobUnit=; . "$f"
    [ "$JobUnit" = "$1" ] && { JobId=${f##*/}; return 0; }
  done
  return 1
}
system_state() {
  local f
  if [ -e $R/stopping ]; then echo stopping; return; fi
  for f in $R/jobs/*; do case "$f" in *.new) ;; *) [ -f "$f" ] && { echo starting; return; } ;; esac; done
  for f in $(all_units); do unit_load "$f"; [ "$ActiveState" = failed ] && { echo degraded; return; }; done
  echo running
}

# A table as format-table prints it: columns padded to the widest cell (the
# header's too when it is shown), one space apart, the last one unpadded.
# Rows are lines with fields separated by \x1f; the first row is the header.
table() { # show-header rows…
  local header=$1 row c w k; shift
  local -a widths=() cells
  local start=0; [ -n "$header" ] || start=1
  local rows=("$@")
  for ((k = start; k < ${#rows[@]}; k++)); do
    IFS=$'\x1f' read -ra cells <<< "${rows[$k]}"
    for c in "${!cells[@]}"; do w=${#cells[$c]}; [ "${widths[$c]:-0}" -ge "$w" ] || widths[$c]=$w; done
  done
  for ((k = start; k < ${#rows[@]}; k++)); do
    IFS=$'\x1f' read -ra cells <<< "${rows[$k]}"
    local line=
    for c in "${!cells[@]}"; do
      if [ "$c" -eq $((${#cells[@]} - 1)) ]; then line+=${cells[$c]}
      else printf -v w '%-*s ' "${widths[$c]}" "${cells[$c]}"; line+=$w; fi
    done
    printf '%s\n' "$line"
  done
}

list_units() {
  local u rows=() glyph n=0 jobs=0 st t ok p
  for u in $(all_units | awk -F. '{ print $NF "\t" $0 }' | LC_ALL=C sort -f | cut -f2); do
    unit_load "$u"
    if job_of "$u"; then :; else JobType=; fi
    if [ ${#states[@]} -gt 0 ]; then
      ok=; for st in "${states[@]}"; do [ "$st" = "$ActiveState" ] || [ "$st" = "$SubState" ] || [ "$st" = loaded ] && ok=1; done
      [ -n "$ok" ] || continue
    elif [ -z "$all" ] && [ "$ActiveState" = inactive ] && [ -z "$JobType" ]; then
      continue
    fi
    if [ ${#types[@]} -gt 0 ]; then
      ok=; for t in "${types[@]}"; do [ "${u##*.}" = "$t" ] && ok=1; done
      [ -n "$ok" ] || continue
    fi
    if [ ${#args[@]} -gt 0 ]; then
      ok=; for p in "${args[@]}"; do [[ "$u" == $p ]] && ok=1; done
      [ -n "$ok" ] || continue
    fi
    [ -n "$JobType" ] && jobs=$((jobs + 1))
    rows+=("$u"$'\x1f'loaded$'\x1f'"$ActiveState"$'\x1f'"$SubState"$'\x1f'"$JobType"$'\x1f'"$Description")
    n=$((n + 1))
  done
  local out=() r
  for r in "UNIT"$'\x1f'LOAD$'\x1f'ACTIVE$'\x1f'SUB$'\x1f'JOB$'\x1f'DESCRIPTION "${rows[@]}"; do
    # No JOB column without jobs, as systemctl hides it.
    if [ "$jobs" -eq 0 ]; then IFS=$'\x1f' read -ra c <<< "$r"; r=${c[0]}$'\x1f'${c[1]}$'\x1f'${c[2]}$'\x1f'${c[3]}$'\x1f'${c[5]}; fi
    out+=("$r")
  done
  local k=0 line off=0
  [ -z "$legend" ] || off=1
  while IFS= read -r line; do
    if [ -z "$plain" ]; then
      # The glyph column (hidden by --plain): ● for a failed unit, the header's cell empty.
      if [ -n "$legend" ] && [ "$k" -eq 0 ]; then glyph=' '
      else
        r=${rows[$((k - off))]}
        case "$r" in *$'\x1f'failed$'\x1f'*) glyph='●' ;; *) glyph=' ' ;; esac
      fi
      line="$glyph $line"
    fi
    printf '%s\n' "$line"
    k=$((k + 1))
  done < <(table "$legend" "${out[@]}")
  [ -n "$legend" ] || return 0
  if [ "$n" -gt 0 ]; then
    echo
    echo "Legend: LOAD   → Reflects whether the unit definition was properly loaded."
    echo "        ACTIVE → The high-level unit activation state, i.e. generalization of SUB."
    echo "        SUB    → The low-level unit activation state, values depend on unit type."
    [ "$jobs" -eq 0 ] || echo "        JOB    → Pending job for the unit."
    echo
  fi
  local all_states=
  for st in "${states[@]}"; do [ "$st" = inactive ] && all_states=1; done
  if [ -n "$all" ] || [ -n "$all_states" ]; then
    printf "%s loaded units listed.\nTo show all installed unit files use 'systemctl list-unit-files'.\n" "$n"
  elif [ ${#states[@]} -eq 0 ]; then
    printf "%s loaded units listed. Pass --all to see loaded but inactive units, too.\nTo show all installed unit files use 'systemctl list-unit-files'.\n" "$n"
  else
    printf '%s loaded units listed.\n' "$n"
  fi
}

list_jobs() {
  local f rows=() n=0 id
  for id in $(for f in $R/jobs/*; do case "$f" in *.new) ;; *) [ -f "$f" ] && echo "${f##*/}" ;; esac; done | sort -n); do
    . "$R/jobs/$id"
    if [ ${#args[@]} -gt 0 ]; then
      local ok= p; for p in "${args[@]}"; do [[ "$JobUnit" == $p ]] && ok=1; done
      [ -n "$ok" ] || continue
    fi
    rows+=("$id"$'\x1f'"$JobUnit"$'\x1f'"$JobType"$'\x1f'"$JobState")
    n=$((n + 1))
  done
  if [ "$n" -eq 0 ]; then
    [ -z "$legend" ] || echo "No jobs running."
    return 0
  fi
  table "$legend" "JOB"$'\x1f'UNIT$'\x1f'TYPE$'\x1f'STATE "${rows[@]}"
  [ -z "$legend" ] || printf '\n%s jobs listed.\n' "$n"
}

ago() { # epoch → systemd's "since …; 5s ago"
  local when
  printf -v when '%(%a %Y-%m-%d %H:%M:%S %Z)T' "$1"
  printf '%s; %s ago' "$when" "$(timespan $((EPOCHSECONDS - $1)))"
}
status() {
  local u=$1 glyph exec=${ExecStart%% *} comm
  case "$ActiveState" in
    failed) glyph='×' ;; inactive) glyph='○' ;; *) glyph='●' ;;
  esac
  printf '%s %s - %s\n' "$glyph" "$u" "$Description"
  case "$u" in
    *.service|*.target) printf '     Loaded: loaded (/etc/systemd/system/%s; enabled; preset: enabled)\n' "$u" ;;
    *) printf '     Loaded: loaded\n' ;;
  esac
  case "$ActiveState/$SubState" in
    failed/*) printf '     Active: failed (Result: %s) since %s\n' "$Result" "$(ago "$Since")" ;;
    "$SubState/$SubState") printf '     Active: %s since %s\n' "$ActiveState" "$(ago "$Since")" ;;
    *) printf '     Active: %s (%s) since %s\n' "$ActiveState" "$SubState" "$(ago "$Since")" ;;
  esac
  if [ -n "$ExecMainCode" ] && [ -n "$ExecMainPID" ]; then
    printf '    Process: %s ExecStart=%s (code=%s, status=%s)\n' "$ExecMainPID" "$ExecStart" "$ExecMainCode" "$ExecMainStatus"
  fi
  if [ -n "$MainPID" ]; then
    comm=$(cat "/proc/$MainPID/comm" 2>/dev/null)
    printf '   Main PID: %s (%s)\n' "$MainPID" "${comm:-${exec##*/}}"
  elif [ -n "$ExecMainPID" ] && [ -n "$ExecMainCode" ]; then
    printf '   Main PID: %s (code=%s, status=%s)\n' "$ExecMainPID" "$ExecMainCode" "$ExecMainStatus"
  fi
  local lines
  lines=$(journalctl -u "$u" -n 10 -q)
  [ -z "$lines" ] || printf '\n%s\n' "$lines"
}

show() { # unit or empty (the manager)
  local k v shown=() all=(Id Description LoadState ActiveState SubState Result Type MainPID ExecMainPID ExecMainCode ExecMainStatus)
  if [ -z "$1" ]; then
    v=$(system_state)
    [ ${#props[@]} -gt 0 ] || props=(SystemState)
    for k in "${props[@]}"; do
      case "$k" in SystemState) if [ -n "$value" ]; then echo "$v"; else echo "SystemState=$v"; fi ;; esac
    done
    return
  fi
  local loaded=loaded
  unit_load "$1" || { loaded=not-found; Id=$1; ActiveState=inactive; SubState=dead; }
  [ ${#props[@]} -gt 0 ] || props=("${all[@]}")
  for k in "${props[@]}"; do
    case "$k" in
      LoadState) v=$loaded ;;
      Id) v=$1 ;;
      MainPID) v=${MainPID:-0} ;;
      ExecMainPID) v=${ExecMainPID:-0} ;;
      ExecMainCode) case "$ExecMainCode" in exited) v=1 ;; killed) v=2 ;; *) v=0 ;; esac ;;
      ExecMainStatus) v=${ExecMainStatus%%/*}; v=${v:-0} ;;
      Result) v=${Result:-success} ;;
      *) v=${!k-} ;;
    esac
    if [ -n "$value" ]; then printf '%s\n' "$v"; else printf '%s=%s\n' "$k" "$v"; fi
  done
}

case "$verb" in
  list-units) list_units ;;
  list-jobs) list_jobs ;;
  is-system-running)
    state=$(system_state)
    if [ -n "$wait" ]; then
      while [ "$state" = starting ]; do sleep 0.2; state=$(system_state); done
    fi
    [ -n "$quiet" ] || echo "$state"
    [ "$state" = running ] ;;
  is-active|is-failed)
    [ ${#args[@]} -gt 0 ] || { echo "Too few arguments." >&2; exit 1; }
    rc=1; [ "$verb" = is-active ] && rc=3
    for a in "${args[@]}"; do
      u=$(unit_name "$a")
      if unit_load "$u"; then st=$ActiveState; else st=inactive; fi
      [ -n "$quiet" ] || echo "$st"
      if [ "$verb" = is-active ]; then [ "$st" = active ] && rc=0; else [ "$st" = failed ] && rc=0; fi
    done
    exit $rc ;;
  status)
    [ ${#args[@]} -gt 0 ] || { echo "systemctl: the nixiso fixture's status needs a unit" >&2; exit 1; }
    rc=0 first=1
    for a in "${args[@]}"; do
      u=$(unit_name "$a")
      if ! unit_load "$u"; then echo "Unit $u could not be found." >&2; rc=4; continue; fi
      [ -n "$first" ] || echo
      first=
      status "$u"
      [ "$ActiveState" = active ] || { [ "$rc" = 4 ] || rc=3; }
    done
    exit $rc ;;
  show)
    if [ ${#args[@]} -eq 0 ]; then show ""; else
      first=1
      for a in "${args[@]}"; do [ -n "$first" ] || echo; first=; show "$(unit_name "$a")"; done
    fi ;;
  poweroff|reboot|halt) exec /run/wrappers/bin/"$verb" ;;
  *) echo "systemctl: the nixiso fixture does not model '$verb' (status, is-active, is-failed, is-system-running, list-units, --failed, list-jobs, show, poweroff, reboot, halt)" >&2; exit 1 ;;
esac
SYSTEMCTL
chmod 0755 /bin/journalctl /bin/systemctl

# The boot's transaction: multi-user.target's start job is 1, each service's next.
unit_set multi-user.target Id=multi-user.target Description='Multi-User System' Type=target ActiveState=inactive SubState=dead Since="$EPOCHSECONDS"
job_set 1 JobUnit=multi-user.target JobType=start JobState=waiting JobBegin="$EPOCHSECONDS" JobLimit='no limit' JobWhat="$(unitString multi-user.target 'Multi-User System')"
nextJob=1
svcJob=()
for i in "${!svcUnit[@]}"; do
  u=${svcUnit[$i]}
  unit_set "$u" Id="$u" Description="${svcDescription[$i]}" Type="${svcType[$i]}" RemainAfterExit="${svcRemain[$i]}" \
    User="${svcUser[$i]}" Ident="${svcIdent[$i]}" ExecStart="${svcExecStart[$i]%%$'\n'*}" ExecStop="${svcExecStop[$i]%%$'\n'*}" \
    ActiveState=inactive SubState=dead Since="$EPOCHSECONDS"
  nextJob=$((nextJob + 1))
  svcJob[$i]=$nextJob
  limit='1min 30s'; [ "${svcType[$i]}" = oneshot ] && limit='no limit'
  job_set "$nextJob" JobUnit="$u" JobType=start JobState=waiting JobBegin="$EPOCHSECONDS" JobLimit="$limit" \
    JobWhat="$(unitString "$u" "${svcDescription[$i]}")"
done
echo "$EPOCHSECONDS" > $R/job-event

# ExecStart= prefixes: `-` ignores the failure; `@`, `+`, `!`, `:` are dropped.
strip_prefix() {
  cmdline=${1%"${1##*[! ]}"} ignore=
  while :; do
    case "$cmdline" in
      -*) ignore=1; cmdline=${cmdline#-} ;;
      [@+!:]*) cmdline=${cmdline#?} ;;
      *) break ;;
    esac
  done
}
# A command of service $i in a session of its own (its "cgroup": a stop
# signals the whole group), as the unit's user, with the unit's environment;
# its output goes to the journal. Sets $spawned (the pid) and $reader.
spawn() { # index command
  local i=$1 cmd=$2 u=${svcUnit[$1]} fifo kv
  local -a envs=("PATH=${svcPath[$1]:+${svcPath[$1]}:}/run/current-system/sw/bin:/bin")
  while IFS= read -r kv; do [ -z "$kv" ] || envs+=("$kv"); done <<< "${svcEnvironment[$i]}"
  fifo=$R/fifo.$BASHPID.$RANDOM
  mkfifo -m 0600 "$fifo"
  if [ "${svcUser[$i]}" = root ]; then
    (cd / && exec setsid env -i "${envs[@]}" /bin/sh -c "exec $cmd") > "$fifo" 2>&1 < /dev/null &
  else
    (cd / && exec setsid env -i "${envs[@]}" su -s /bin/sh -c "exec $cmd" "${svcUser[$i]}") > "$fifo" 2>&1 < /dev/null &
  fi
  spawned=$!
  (
    pid=$spawned
    while IFS= read -r line || [ -n "$line" ]; do journal "$u" "${svcIdent[$i]}" "$pid" "$line"; done < "$fifo"
    rm -f "$fifo"
  ) &
  reader=$!
}
# The output of a process that has exited is in the journal (unless it left
# children holding it open).
drain() {
  local n=0
  while kill -0 "$reader" 2>/dev/null && [ $n -lt 20 ]; do sleep 0.1; n=$((n + 1)); done
}

# multi-user.target is ordered after everything it wants: its job ends with the last other one.
reach() {
  local f
  for f in $R/jobs/*; do
    case "${f##*/}" in 1|*.new|'*') continue ;; esac
    return 0
  done
  [ -e $R/jobs/1 ] && mkdir $R/reached 2>/dev/null || return 0
  unit_set multi-user.target ActiveState=active SubState=active Since="$EPOCHSECONDS" ActiveEnter="$EPOCHSECONDS"
  sd multi-user.target "Reached target $(unitString multi-user.target 'Multi-User System' plain)."
  ok "Reached target $(unitString multi-user.target 'Multi-User System')."
  job_done 1
}

start_service() { # index: runs as the service's supervisor
  local i=$1 u=${svcUnit[$1]} type=${svcType[$1]} job=${svcJob[$1]} what plain cmd rc=0 main code status result
  what=$(unitString "$u" "${svcDescription[$i]}")
  plain=$(unitString "$u" "${svcDescription[$i]}" plain)
  job_set "$job" JobState=running JobBegin="$EPOCHSECONDS"
  unit_set "$u" ActiveState=activating SubState=start Since="$EPOCHSECONDS"
  start_failed() { # why
    sd "$u" "$u: $1"
    sd "$u" "$u: Failed with result '$result'."
    sd "$u" "Failed to start $plain."
    unit_set "$u" ActiveState=failed SubState=failed Result="$result" MainPID= Since="$EPOCHSECONDS"
    failed "Failed to start $what."$'\n'"See 'systemctl status $u' for details."
    job_done "$job"
    reach
  }
  if [ "$type" = oneshot ]; then
    sd "$u" "Starting $plain..."
    indented "Starting $what..."
  fi
  while IFS= read -r cmd; do
    [ -n "$cmd" ] || continue
    unit_set "$u" SubState=start-pre
    strip_prefix "$cmd"
    spawn "$i" "$cmdline"
    wait "$spawned"; rc=$?
    drain
    [ -z "$ignore" ] || rc=0
    if [ "$rc" != 0 ]; then
      exit_status "$rc"
      start_failed "Control process exited, code=$code, status=$status"
      return
    fi
  done <<< "${svcExecStartPre[$i]}"

  if [ "$type" = oneshot ]; then
    while IFS= read -r cmd; do
      [ -n "$cmd" ] || continue
      strip_prefix "$cmd"
      spawn "$i" "$cmdline"
      main=$spawned
      unit_set "$u" SubState=start MainPID="$main" ExecMainPID="$main" ExecMainCode= ExecStart="$cmdline"
      wait "$main"; rc=$?
      drain
      [ -z "$ignore" ] || rc=0
      [ "$rc" = 0 ] || break
    done <<< "${svcExecStart[$i]}"
    [ -e "$R/stopping.d/$u" ] && return # a stop job took over
    exit_status "$rc"
    unit_set "$u" ExecMainCode="$code" ExecMainStatus="$status"
    if [ "$rc" != 0 ]; then
      start_failed "Main process exited, code=$code, status=$status"
      return
    fi
    if [ "${svcRemain[$i]}" = yes ]; then
      unit_set "$u" ActiveState=active SubState=exited Result=success MainPID= Since="$EPOCHSECONDS" ActiveEnter="$EPOCHSECONDS"
    else
      sd "$u" "$u: Deactivated successfully."
      unit_set "$u" ActiveState=inactive SubState=dead Result=success MainPID= Since="$EPOCHSECONDS"
    fi
    sd "$u" "Finished $plain."
    ok "Finished $what."
    job_done "$job"
    reach
    return
  fi

  strip_prefix "${svcExecStart[$i]%%$'\n'*}"
  sd "$u" "Started $plain."
  spawn "$i" "$cmdline"
  main=$spawned
  unit_set "$u" ActiveState=active SubState=running MainPID="$main" ExecMainPID="$main" ExecMainCode= ExecStart="$cmdline" \
    Since="$EPOCHSECONDS" ActiveEnter="$EPOCHSECONDS"
  ok "Started $what."
  job_done "$job"
  reach
  wait "$main"; rc=$?
  drain
  [ -z "$ignore" ] || rc=0
  [ -e "$R/stopping.d/$u" ] && return
  exit_status "$rc"
  if [ "$rc" = 0 ]; then
    sd "$u" "$u: Deactivated successfully."
    unit_set "$u" ActiveState=inactive SubState=dead Result=success MainPID= ExecMainCode="$code" ExecMainStatus="$status" Since="$EPOCHSECONDS"
  else
    sd "$u" "$u: Main process exited, code=$code, status=$status"
    sd "$u" "$u: Failed with result '$result'."
    unit_set "$u" ActiveState=failed SubState=failed Result="$result" MainPID= ExecMainCode="$code" ExecMainStatus="$status" Since="$EPOCHSECONDS"
  fi
}

# A stop job (shutdown): ExecStop= while the unit is active, then SIGTERM to
# what is left of its processes, each phase bounded by TimeoutStopSec=.
stop_service() { # index job-id
  local i=$1 job=$2 u=${svcUnit[$1]} what plain cmd state main limit deadline res=success ctl
  unit_load "$u" || return
  case "$ActiveState" in active|activating) ;; *) return ;; esac
  state=$ActiveState main=$MainPID
  : > "$R/stopping.d/$u"
  [ "$state" = activating ] && job_done "${svcJob[$i]}" # the start job is canceled
  what=$(unitString "$u" "${svcDescription[$i]}")
  plain=$(unitString "$u" "${svcDescription[$i]}" plain)
  limit=$(seconds "${svcTimeoutStop[$i]}")
  deadline=$((EPOCHSECONDS + limit))
  await() { # pid: true once its process group has gone, false at the deadline
    while kill -0 -- "-$1" 2>/dev/null || kill -0 "$1" 2>/dev/null; do
      [ "$limit" != 0 ] && [ "$EPOCHSECONDS" -ge "$deadline" ] && return 1
      sleep 0.2
    done
  }
  job_set "$job" JobUnit="$u" JobType=stop JobState=running JobBegin="$EPOCHSECONDS" JobWhat="$what" \
    JobLimit="$(if [ "$limit" = 0 ]; then echo 'no limit'; else timespan "$limit"; fi)"
  echo "$EPOCHSECONDS" > $R/job-event
  sd "$u" "Stopping $plain..."
  indented "Stopping $what..."
  unit_set "$u" ActiveState=deactivating SubState=stop Since="$EPOCHSECONDS"
  if [ "$state" = active ]; then
    while IFS= read -r cmd; do
      [ -n "$cmd" ] || continue
      strip_prefix "$cmd"
      spawn "$i" "$cmdline"
      ctl=$spawned
      if ! await "$ctl"; then
        sd "$u" "$u: Stopping timed out. Terminating."
        kill -KILL -- "-$ctl" 2>/dev/null
        res=timeout
        deadline=$((EPOCHSECONDS + limit))
        break
      fi
      drain
    done <<< "${svcExecStop[$i]}"
  fi
  if [ -n "$main" ]; then
    kill -TERM -- "-$main" 2>/dev/null || kill -TERM "$main" 2>/dev/null
    if ! await "$main"; then
      sd "$u" "$u: State 'stop-sigterm' timed out. Killing."
      kill -KILL -- "-$main" 2>/dev/null || kill -KILL "$main" 2>/dev/null
      res=timeout
    fi
  fi
  if [ "$res" = success ]; then
    sd "$u" "$u: Deactivated successfully."
    unit_set "$u" ActiveState=inactive SubState=dead Result=success MainPID= Since="$EPOCHSECONDS"
  else
    sd "$u" "$u: Failed with result 'timeout'."
    unit_set "$u" ActiveState=failed SubState=failed Result=timeout MainPID= Since="$EPOCHSECONDS"
  fi
  sd "$u" "Stopped $plain."
  ok "Stopped $what."
  job_done "$job"
}

# The running jobs on the console: after 5 s without a finished job, one of
# them a second, with systemd's cylon (manager.c draw_cylon, width 6).
cylon() { # position 0…7
  local pos=$1 s=
  if [ "$pos" -gt 1 ]; then
    [ "$pos" -gt 2 ] && printf -v s '%*s' $((pos - 2)) ''
    s+="${esc}[0;31m*"
  fi
  [ "$pos" -gt 0 ] && [ "$pos" -le 6 ] && s+="${esc}[0;1;31m*"
  s+="${esc}[0m"
  if [ "$pos" -lt 6 ]; then
    s+="${esc}[0;31m*"
    [ "$pos" -lt 5 ] && s+=$(printf '%*s' $((5 - pos)) '')
    s+="${esc}[0m"
  fi
  printf '%s' "$s"
}
ticker() {
  local iter=0 f last running n pos of
  while sleep 1; do
    [ -e $R/final ] && return
    read -r last < $R/job-event 2>/dev/null || last=0
    [ $((EPOCHSECONDS - last)) -ge 5 ] || continue
    running=()
    for f in $R/jobs/*; do
      case "$f" in *.new|*'*') continue ;; esac
      JobState=
      . "$f" 2>/dev/null
      [ "$JobState" = running ] && running+=("$f")
    done
    n=${#running[@]}
    [ "$n" -gt 0 ] || { iter=0; continue; }
    . "${running[$((iter % n))]}" 2>/dev/null || continue
    pos=$((iter % 14)); [ $pos -lt 8 ] || pos=$((14 - pos))
    of=; [ "$n" -eq 1 ] || of="($((iter % n + 1)) of $n) "
    console "[$(cylon $pos)] ${of}A $JobType job is running for $JobWhat ($(timespan $((EPOCHSECONDS - JobBegin))) / $JobLimit)" ephemeral
    iter=$((iter + 1))
  done
}

# systemd-shutdown writes to the kernel log, which the console shows.
kmsg() { echo "<6>systemd-shutdown[1]: $1" > /dev/kmsg; }
shutdown_system() { # poweroff|reboot|halt force
  local verb=$1 force=$2 target service i pids=() job=$nextJob
  [ -e $R/stopping ] && return
  : > $R/stopping
  case "$verb" in
    reboot) target='System Reboot' service=systemd-reboot.service ;;
    halt) target='System Halt' service=systemd-halt.service ;;
    *) target='System Power Off' service=systemd-poweroff.service ;;
  esac
  if [ "$force" = 0 ]; then
    # The boot's start jobs still queued give way to the shutdown's jobs.
    mkdir -p $R/reached
    for i in 1 "${svcJob[@]}"; do rm -f "$R/jobs/$i"; done
    echo "$EPOCHSECONDS" > $R/job-event
    unit_set multi-user.target ActiveState=inactive SubState=dead Since="$EPOCHSECONDS"
    sd multi-user.target "Stopped target $(unitString multi-user.target 'Multi-User System' plain)."
    ok "Stopped target $(unitString multi-user.target 'Multi-User System')."
    ok "Stopped target $(unitString getty.target 'Login Prompts')."
    job=$((job + 1))
    stop_getty "$job" & pids+=($!)
    for i in "${!svcUnit[@]}"; do
      job=$((job + 1))
      stop_service "$i" "$job" & pids+=($!)
    done
    wait "${pids[@]}"
    indented "Unmounting $(unitString run-wrappers.mount /run/wrappers)..."
    ok "Unmounted $(unitString run-wrappers.mount /run/wrappers)."
    # The live image's /nix/store (an overlay on /nix/.ro-store) is busy to the end.
    indented "Unmounting $(unitString nix-store.mount /nix/store)..."
    failed "Failed unmounting $(unitString nix-store.mount /nix/store)."
    ok "Reached target $(unitString umount.target 'Unmount All Filesystems')."
    ok "Reached target $(unitString shutdown.target 'System Shutdown')."
    ok "Reached target $(unitString final.target 'Late Shutdown Services')."
    ok "Finished $(unitString "$service" "$target")."
    ok "Reached target $(unitString "${verb}.target" "$target")."
  fi
  : > $R/final
  if [ "$force" -lt 2 ]; then
    kmsg "Syncing filesystems and block devices."
    sync
    kmsg "Sending SIGTERM to remaining processes..."
    kill -TERM -1 2>/dev/null
    sleep 0.5
    kmsg "Sending SIGKILL to remaining processes..."
    kill -KILL -1 2>/dev/null
    kmsg "Unmounting file systems."
    kmsg "All filesystems unmounted."
    kmsg "Deactivating swaps."
    kmsg "All swaps deactivated."
    kmsg "Detaching loop devices."
    kmsg "All loop devices detached."
    kmsg "Stopping MD devices."
    kmsg "All MD devices stopped."
    kmsg "Detaching DM devices."
    kmsg "All DM devices detached."
    kmsg "All filesystems, swaps, loop devices, MD devices and DM devices detached."
    kmsg "Syncing filesystems and block devices."
    case "$verb" in reboot) kmsg "Rebooting." ;; halt) kmsg "Halting system." ;; *) kmsg "Powering off." ;; esac
  fi
  sync
  case "$verb" in reboot) reboot -f ;; halt) halt -f ;; *) poweroff -f ;; esac
  sleep 10
}

ticker &
for i in "${!svcUnit[@]}"; do start_service "$i" & done
reach

# --- serial-getty@ttyS0 with autologin ------------------------------------------
# Type=idle, as NixOS's serial-getty@: started with the other jobs, agetty
# runs once the job queue is empty or after 5 s; it does not wait for
# multi-user.target.
tty=$(cat /sys/class/tty/console/active 2>/dev/null); tty=${tty##* }; tty=${tty:-console}
gettyUnit=serial-getty@$tty.service
unit_set "$gettyUnit" Id="$gettyUnit" Description="Serial Getty on $tty" Type=idle ActiveState=active SubState=running Since="$EPOCHSECONDS" ActiveEnter="$EPOCHSECONDS"
sd "$gettyUnit" "Started $(unitString "$gettyUnit" "Serial Getty on $tty" plain)."
ok "Started $(unitString "$gettyUnit" "Serial Getty on $tty")."
ok "Reached target $(unitString getty.target 'Login Prompts')."
stop_getty() { # job-id
  local what
  what=$(unitString "$gettyUnit" "Serial Getty on $tty")
  job_set "$1" JobUnit="$gettyUnit" JobType=stop JobState=running JobBegin="$EPOCHSECONDS" JobWhat="$what" JobLimit='1min 30s'
  sd "$gettyUnit" "Stopping $(unitString "$gettyUnit" "Serial Getty on $tty" plain)..."
  indented "Stopping $what..."
  if read -r pid < $R/getty.pid 2>/dev/null; then kill -HUP "$pid" 2>/dev/null; kill -TERM "$pid" 2>/dev/null; fi
  sd "$gettyUnit" "$gettyUnit: Deactivated successfully."
  sd "$gettyUnit" "Stopped $(unitString "$gettyUnit" "Serial Getty on $tty" plain)."
  unit_set "$gettyUnit" ActiveState=inactive SubState=dead MainPID= Since="$EPOCHSECONDS"
  ok "Stopped $what."
  job_done "$1"
}
(
  n=0
  while [ $n -lt 50 ]; do
    for f in $R/jobs/*; do [ -e "$f" ] && break; f=; done
    [ -n "$f" ] || break
    sleep 0.1; n=$((n + 1))
  done
  greeting=$(printf '%s' "$greetingLine" | sed -e "s/\\\\m/$machine/g" -e "s/\\\\l/$tty/g")
  printf '\n%s[1;32m%s%s[0m\n' "$esc" "$greeting" "$esc"
  [ -z "$helpLine" ] || printf '%s\n' "$helpLine"
  if [ -n "$autologinUser" ]; then
    printf '\n%s login: %s (automatic login)\n\n' "$hostName" "$autologinUser"
    # Ctrl-C and Ctrl-\ work in the session as after a real getty: bash ignores
    # SIGINT and SIGQUIT in what it starts with & (no job control here), and
    # a signal ignored when a program starts stays ignored in all it starts.
    (trap - INT QUIT; exec setsid cttyhack su -l "$autologinUser") &
  else
    printf '\n%s login: ' "$hostName"
    (trap - INT QUIT; exec setsid cttyhack login) &
  fi
  echo $! > $R/getty.pid
  unit_set "$gettyUnit" MainPID=$!
  { wait $!; } 2>/dev/null # (not bash's word on how the session ended)
  # The session ended: there is no second getty here, the machine powers off.
  [ -e $R/stopping ] || echo "poweroff 0" > $R/power
) &

# PID 1's main loop: power requests (poweroff, reboot, halt; systemctl, the wrappers, the session's end).
while :; do
  read -r verb force < $R/power || continue
  case "$verb" in poweroff|reboot|halt) shutdown_system "$verb" "${force:-0}" ;; esac
done
