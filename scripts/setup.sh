#!/usr/bin/env bash
# Installs what warren's tests and the dev stack need, on a fresh machine or an up-to-date one
# (each step is skipped when already done): Debian's rabbitmq-server (its own service kept from
# starting), the npm packages from the lock file, the compiled program, and the Pulumi toolchain.
# Prints the toolchain's bin folder on stdout; progress goes to stderr.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$repo"
log() { printf 'setup: %s\n' "$*" >&2; }

if [ ! -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
  log "installing rabbitmq-server (Debian)"
  [ "$(id -u)" = 0 ] || { log "error: rabbitmq-server is missing and installing it needs root"; exit 1; }
  # The package's own service must not start: it would hold 5672/25672 for the whole machine.
  made_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && made_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends rabbitmq-server >&2 ||
    { apt-get update >&2 && apt-get install -y --no-install-recommends rabbitmq-server >&2; }
  [ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d
fi

# npm packages: again only when the lock file changed since the last install.
stamp="node_modules/.warren-lock.sha256"
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund >&2
  echo "$want" > "$stamp"
fi

log "compiling (tsc, transpile only)"
npm run --silent build >&2

bash scripts/toolchain.sh
