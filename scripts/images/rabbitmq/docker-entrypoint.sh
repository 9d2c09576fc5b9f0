#!/bin/sh
# Entrypoint of warren/rabbitmq: logs go to stdout (`docker logs`) unless the container chose files
# (RABBITMQ_LOGS or RABBITMQ_LOG_BASE), then runs the command (by default `rabbitmq-server`) in the
# foreground as PID 1, so `docker stop` (SIGTERM) stops the node cleanly.
set -e
if [ "$(id -u)" = 0 ]; then
  echo "warren/rabbitmq runs as the rabbitmq user; do not override the user with root" >&2
  exit 1
fi
if [ -z "${RABBITMQ_LOGS:-}" ] && [ -z "${RABBITMQ_LOG_BASE:-}" ]; then
  export RABBITMQ_LOGS=-
fi
exec "$@"
