#!/usr/bin/env bash
# The dev stack's local RabbitMQ: one node on loopback, its data and logs relocated under
# .warren/dev-broker (mnesia/, log/), management plugin on, no guest user. It keeps running
# between `npm run up` runs, like a broker installed by hand; `stop` stops it.
#
#   scripts/dev-broker.sh start AMQP_PORT MGMT_PORT ADMIN_USER   (admin password on stdin)
#   scripts/dev-broker.sh stop | status
#
# The admin password is read from stdin and handed to rabbitmqctl on stdin: it is never written
# to a file or a command line.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
dir="$repo/.warren/dev-broker"
bin=/usr/lib/rabbitmq/bin
node_name="warren-dev@localhost"
log() { printf 'dev-broker: %s\n' "$*" >&2; }

export HOME="$dir/home" # the Erlang cookie lives here, not in /var/lib/rabbitmq
export RABBITMQ_NODENAME="$node_name"
export RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log"
export RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
export RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config"
export RABBITMQ_PID_FILE="$dir/rabbit.pid"

ctl() { "$bin/rabbitmqctl" -n "$node_name" "$@"; }
running() { [ -f "$dir/server.pid" ] && kill -0 "$(cat "$dir/server.pid")" 2>/dev/null && ctl status >/dev/null 2>&1; }

case "${1:-}" in
  status)
    if running; then echo "running (pid $(cat "$dir/server.pid"))"; else echo "stopped"; exit 3; fi ;;
  stop)
    if running; then
      ctl stop >/dev/null
      log "stopped $node_name"
    fi
    rm -f "$dir/server.pid" ;;
  start)
    amqp_port="$2" mgmt_port="$3" admin="$4"
    IFS= read -r password
    [ -n "$password" ] || { log "error: no admin password on stdin"; exit 1; }
    mkdir -p "$dir/home" "$dir/mnesia" "$dir/log"
    if ! running; then
      for port in "$amqp_port" "$mgmt_port"; do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
          log "error: 127.0.0.1:$port is taken by another program; set warren:broker.managementUrl to a free port"
          exit 1
        fi
      done
      echo "[rabbitmq_management]." > "$dir/enabled_plugins"
      : > "$dir/rabbitmq-env.conf"
      cat > "$dir/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$amqp_port
management.tcp.ip = 127.0.0.1
management.tcp.port = $mgmt_port
loopback_users.guest = true
log.file.level = info
CONF
      log "starting $node_name (AMQP 127.0.0.1:$amqp_port, management 127.0.0.1:$mgmt_port, data in $dir)"
      setsid "$bin/rabbitmq-server" > "$dir/server.out" 2>&1 < /dev/null &
      echo $! > "$dir/server.pid"
      ctl await_startup --timeout 120 >/dev/null 2>&1 || {
        sleep 2
        ctl await_startup --timeout 120 >/dev/null || { log "error: did not start; see $dir/server.out and $dir/log"; exit 1; }
      }
    fi
    # The admin: created, or its password brought in line with the stack's secret.
    if ctl list_users --silent | cut -f1 | grep -qx "$admin"; then
      printf '%s' "$password" | ctl change_password "$admin" >/dev/null
    else
      printf '%s' "$password" | ctl add_user "$admin" >/dev/null
    fi
    ctl set_user_tags "$admin" administrator >/dev/null
    ctl set_permissions -p / "$admin" '.*' '.*' '.*' >/dev/null
    # No default credentials on this broker.
    if ctl list_users --silent | cut -f1 | grep -qx guest; then ctl delete_user guest >/dev/null; fi
    log "ready" ;;
  *)
    echo "usage: $0 start AMQP_PORT MGMT_PORT ADMIN_USER < password | stop | status" >&2
    exit 2 ;;
esac
