#!/usr/bin/env bash
# A Docker daemon for warren's container stack and its tests, on a machine without systemd.
#
#   bash scripts/docker.sh ensure   # a daemon answers `docker info` afterwards (installs/starts one)
#   bash scripts/docker.sh stop     # stops the daemon, only if `ensure` started it
#   bash scripts/docker.sh status   # exit 0 if a daemon answers; says who started it
#
# `ensure` uses a daemon that already answers (DOCKER_HOST or the default socket) and otherwise
# installs Debian's docker.io (with iptables; needs root) and starts `dockerd` in the background,
# with the default data root (/var/lib/docker) and its log and our pid file under $state_dir. The
# daemon keeps running after the script exits (like the dev broker) and is reused by later runs.
# `stop` ends it by the pid we recorded, never by name, and leaves a daemon someone else started
# alone. Idempotent; one `ensure`/`stop` at a time (flock). Progress goes to stderr, nothing to stdout.
set -euo pipefail

state_dir="${WARREN_DOCKER_STATE_DIR:-/var/run/warren-docker}"
pid_file="$state_dir/dockerd.pid"
log_file="$state_dir/dockerd.log"
start_timeout="${WARREN_DOCKER_START_TIMEOUT:-60}" # seconds until `docker info` must answer

log() { printf 'docker: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

daemon_answers() { timeout 10 docker info >/dev/null 2>&1; }

# our_pid: the pid in our pid file if that process still is a dockerd (a stale file after a reboot
# or a recycled pid must never make `stop` signal an unrelated process).
our_pid() {
  local pid exe
  [[ -f "$pid_file" ]] || return 1
  pid="$(cat "$pid_file" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
  [[ "$(basename "${exe% (deleted)}")" == dockerd ]] || return 1
  printf '%s\n' "$pid"
}

lock() {
  mkdir -p "$state_dir"
  if command -v flock >/dev/null 2>&1; then
    exec 8>"$state_dir/lock"
    flock -n 8 || { log "waiting for another scripts/docker.sh..."; flock 8; }
  fi
}

install_daemon() {
  [[ "$(id -u)" == 0 ]] || die "no Docker daemon answers and installing one (apt-get install docker.io) needs root"
  command -v apt-get >/dev/null 2>&1 || die "no Docker daemon answers and this is not a Debian/apt machine"
  log "installing Debian's docker.io (dockerd, containerd, runc, iptables)..."
  local start=$SECONDS made_policy=
  # The packages' init scripts must not start anything: we start dockerd ourselves, below.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && made_policy=1
  fi
  local pkgs=(docker.io iptables ca-certificates)
  export DEBIAN_FRONTEND=noninteractive
  # --no-install-recommends: no apparmor/git/needrestart; what dockerd needs is in Depends.
  if ! apt-get install -y --no-install-recommends "${pkgs[@]}" >&2; then
    apt-get update >&2 && apt-get install -y --no-install-recommends "${pkgs[@]}" >&2 ||
      { [[ -z "$made_policy" ]] || rm -f /usr/sbin/policy-rc.d; die "apt-get install docker.io failed"; }
  fi
  [[ -z "$made_policy" ]] || rm -f /usr/sbin/policy-rc.d
  log "installed docker.io in $((SECONDS - start))s"
}

start_daemon() {
  local dockerd pid waited=0 start=$SECONDS
  dockerd="$(command -v dockerd || true)"
  [[ -n "$dockerd" ]] || dockerd=/usr/sbin/dockerd
  [[ -x "$dockerd" ]] || die "dockerd is not installed"
  [[ "$(id -u)" == 0 ]] || die "starting dockerd needs root"
  # The socket of a daemon that died without cleaning up would make `docker info` fail anyway,
  # but dockerd refuses to start while its own pid file names a live process: that case is a
  # daemon we do not own that does not answer.
  if [[ -f /var/run/docker.pid ]] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    die "a dockerd (pid $(cat /var/run/docker.pid), not started by this script) runs but does not answer; see its log"
  fi
  log "starting dockerd (log: $log_file)..."
  # setsid: its own session, so it survives this script and a Ctrl-C of the caller. Every file
  # descriptor above 2 is closed first: the daemon would otherwise keep our lock (and any pipe or
  # lock of the caller) for its whole life. PATH must hold /usr/sbin (iptables) and containerd/runc,
  # which dockerd starts/uses itself (no systemd units here: dockerd supervises its own containerd).
  (
    for fd in /proc/self/fd/*; do
      fd="${fd##*/}"
      if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
      exec setsid "$dockerd" --pidfile /var/run/docker.pid
  ) </dev/null >>"$log_file" 2>&1 &
  pid=$!
  printf '%s\n' "$pid" >"$pid_file"
  until daemon_answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$pid_file"
      tail -n 20 "$log_file" >&2 || true
      die "dockerd exited during start-up (log: $log_file)"
    fi
    if ((waited >= start_timeout)); then
      tail -n 20 "$log_file" >&2 || true
      die "dockerd (pid $pid) did not answer within ${start_timeout}s (log: $log_file); stop it with: bash scripts/docker.sh stop"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  log "dockerd (pid $pid) answers after $((SECONDS - start))s"
}

cmd_ensure() {
  if command -v docker >/dev/null 2>&1 && daemon_answers; then
    log "a Docker daemon answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
    return 0
  fi
  lock
  daemon_answers 2>/dev/null && return 0 # started by a concurrent `ensure` while we waited
  if ! command -v dockerd >/dev/null 2>&1 && [[ ! -x /usr/sbin/dockerd ]]; then
    install_daemon
  fi
  command -v docker >/dev/null 2>&1 || die "the docker client is missing"
  start_daemon
}

cmd_stop() {
  local pid waited=0
  lock
  if ! pid="$(our_pid)"; then
    rm -f "$pid_file"
    if daemon_answers; then
      log "the running Docker daemon was not started by scripts/docker.sh: left alone"
    else
      log "no Docker daemon started by scripts/docker.sh is running"
    fi
    return 0
  fi
  log "stopping dockerd (pid $pid)..."
  kill -TERM "$pid"
  # dockerd stops its containers (10 s grace each, in parallel) and its containerd first.
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= 60)); then
      log "dockerd (pid $pid) still runs after 60s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 1
    waited=$((waited + 1))
  done
  rm -f "$pid_file"
  log "dockerd stopped"
}

cmd_status() {
  local pid
  if daemon_answers; then
    if pid="$(our_pid)"; then
      log "running: dockerd pid $pid, started by scripts/docker.sh (log: $log_file)"
    else
      log "running: a Docker daemon not started by scripts/docker.sh"
    fi
    return 0
  fi
  log "no Docker daemon answers"
  return 1
}

case "${1:-}" in
  ensure) cmd_ensure ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *)
    echo "usage: bash scripts/docker.sh ensure|stop|status" >&2
    exit 2
    ;;
esac
