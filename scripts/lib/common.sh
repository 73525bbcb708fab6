# Helpers shared by the scripts that install, start and stop test servers
# (kafka-node.sh, registry-node.sh, test-infra.sh, test-certs.sh, ensure-tools.sh).
# Sourced, never run. The sourcing script defines `log` and `die` first; these
# functions report through them.

# A zombie (exited, not yet reaped by its new parent) counts as dead.
pid_alive() {
  local stat
  [[ ${1:-} =~ ^[0-9]+$ ]] && kill -0 "$1" 2>/dev/null || return 1
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) } # the state letter follows the last ')' (comm may hold spaces)
  [[ ${stat:0:1} != Z ]]
}

# Guards against pid reuse: the pid must still run the program we started
# (NAME is looked for in its command line).
pid_is() {
  local pid=$1 name=$2
  pid_alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$name"
}

# stop_pid PID NAME GRACE_SECS: SIGTERM to PID if it still runs NAME, SIGKILL
# after GRACE_SECS; returns once it is gone. Returns 1 when PID did not run NAME.
stop_pid() {
  local pid=$1 name=$2 grace=$3 deadline
  pid_is "$pid" "$name" || return 1
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + grace))
  while ((SECONDS < deadline)) && pid_alive "$pid"; do sleep 0.1; done
  if pid_alive "$pid"; then
    log "pid $pid ($name) ignored SIGTERM for $grace s; SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  return 0
}

# apt_install PKG...: installs Debian packages (only call it for missing ones),
# as root or through password-less sudo. APT_LOG names the log file (default
# ~/.cache/clvstream/apt.log); apt-get update runs once per script run.
APT_UPDATED=0
apt_install() {
  local sudo=() log_file=${APT_LOG:-${CLVSTREAM_CACHE_DIR:-$HOME/.cache/clvstream}/apt.log}
  command -v apt-get >/dev/null 2>&1 || die "missing $*; apt-get is not available, install them by hand"
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      die "missing $*; run as root or install them: apt-get install $*"
    fi
  fi
  mkdir -p "$(dirname "$log_file")"
  if ((APT_UPDATED == 0)); then
    log "apt-get update (log: $log_file)"
    "${sudo[@]}" apt-get update >>"$log_file" 2>&1 || die "apt-get update failed, see $log_file"
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "$@" >>"$log_file" 2>&1 ||
    die "apt-get install $* failed, see $log_file"
}
