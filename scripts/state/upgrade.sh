#!/usr/bin/env bash
# `scripts/state/upgrade.sh PROJECT_DIR STACK [--check]`: the one-time upgrade of a stack whose
# state comes from warren's per-object topology (one resource per broker object under a rabbitmq
# provider, before the batched VhostObjects/BrokerAccess). Left there, those resources would be
# deleted by the next `pulumi up`, and with them the queues and their messages. The upgrade
# drops them from the state only: `pulumi stack export` → bin/scripts/state/upgrade.js →
# `pulumi stack import`. The broker is not touched; the batched resources then declare the same
# objects again (their create is an upsert). The export from before (secrets still encrypted) is
# kept in $WARREN_BACKUP_DIR (default .warren/backups/). Does nothing when the state needs nothing.
# --check: rewrite nothing; exit 1 with a message when the state needs the upgrade.
# Uses `pulumi` from PATH and the environment's backend and passphrase (scripts/up.sh sets them).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
work="$1" stack="$2" mode="${3:-}"
log() { printf 'state upgrade: %s\n' "$*" >&2; }

backups="${WARREN_BACKUP_DIR:-$repo/.warren/backups}"
(umask 077 && mkdir -p "$backups")
dir="$(mktemp -d "$backups/.upgrade.XXXXXX")"
trap 'rm -rf "$dir"' EXIT
pulumi --cwd "$work" stack export --stack "$stack" --file "$dir/export.json"
rc=0
node "$repo/bin/scripts/state/upgrade.js" "$dir/export.json" "$dir/upgraded.json" || rc=$?
[ "$rc" = 3 ] && exit 0
[ "$rc" = 0 ] || { log "error: the upgrade failed (exit $rc); the state is unchanged"; exit 1; }
if [ "$mode" = --check ]; then
  log "error: stack $stack's state comes from warren's per-object topology; a preview would show its queues deleted"
  exit 1
fi
backup="$backups/$stack-$(date -u +%Y%m%dT%H%M%SZ).json"
(umask 077 && cp "$dir/export.json" "$backup")
pulumi --cwd "$work" stack import --stack "$stack" --file "$dir/upgraded.json" >/dev/null
log "upgraded stack $stack's state to the batched topology (the state before: $backup); passwords warren generated change once"
