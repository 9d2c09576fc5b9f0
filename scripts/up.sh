#!/usr/bin/env bash
# `npm run up -- STACK` (default dev): the main job. Sets up this machine (scripts/setup.sh), logs
# in to a local file backend, selects or creates the stack, starts the local broker when the stack
# targets one on loopback that does not answer (scripts/dev-broker.sh), and runs `pulumi up`,
# printing the stack outputs (management URL, users, the alert routing matrix).
#
# Secrets for the stack (the local broker's admin password) live encrypted in
# .warren/project/Pulumi.STACK.yaml; the committed Pulumi.STACK.yaml is never rewritten.
# Environment: PULUMI_BACKEND_URL (default file://<repo>/.warren/state?metadata=skip,
# scripts/state/backend.sh); PULUMI_CONFIG_PASSPHRASE
# or PULUMI_CONFIG_PASSPHRASE_FILE (default: a passphrase generated once into
# .warren/passphrase, mode 600). Extra arguments go to `pulumi up`.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$repo"
stack="${1:-dev}"
[ $# -gt 0 ] && shift
log() { printf 'up: %s\n' "$*" >&2; }

[ -f "Pulumi.$stack.yaml" ] || { log "error: no stack file Pulumi.$stack.yaml"; exit 1; }
toolchain_bin="$(bash scripts/setup.sh)"
export PATH="$toolchain_bin:$repo/node_modules/@pulumi/pulumi:$PATH" PULUMI_SKIP_UPDATE_CHECK=true

# Config errors stop here, before any engine or broker work.
node bin/cli/warren.js validate --stack "$stack"

mkdir -p .warren && chmod 700 .warren
. "$repo/scripts/state/backend.sh"
warren_backend "$repo"
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  if [ ! -s .warren/passphrase ]; then
    (umask 077 && head -c 32 /dev/urandom | base64 > .warren/passphrase)
    log "generated a passphrase for this machine's stack secrets in .warren/passphrase"
  fi
  export PULUMI_CONFIG_PASSPHRASE_FILE="$repo/.warren/passphrase"
fi

# The engine works in .warren/project: a Pulumi.yaml that runs this checkout's compiled program,
# and a machine-local stack file with the committed file's plain values plus this machine's
# encrypted secrets and salt. Pulumi never rewrites the committed, commented Pulumi.STACK.yaml.
work="$repo/.warren/project"
mkdir -p "$work"
node -e 'const y=require("yaml");const fs=require("fs");const p=y.parse(fs.readFileSync("Pulumi.yaml","utf8"));p.main=process.argv[2];fs.writeFileSync(process.argv[1],y.stringify(p))' "$work/Pulumi.yaml" "$repo/bin"
node bin/components/config/stack-file.js "Pulumi.$stack.yaml" "$work/Pulumi.$stack.yaml"
pulumi() { command pulumi --cwd "$work" "$@"; }
pulumi stack select --create "$stack" --non-interactive >/dev/null

# The Docker runtime: a daemon, and the images the stack names, built locally (no registry).
if [ "$(node -e 'const c=require("yaml").parse(require("fs").readFileSync(process.argv[1],"utf8")).config??{};process.stdout.write(String(c["warren:runtime"]??"external"))' "Pulumi.$stack.yaml")" = docker ]; then
  bash scripts/docker.sh ensure
  bash scripts/images/build.sh rabbitmq dispatcher sink > /dev/null
fi

# The broker: a local one for external stacks that point at loopback.
get() { node -e 'const c=require("yaml").parse(require("fs").readFileSync(process.argv[1],"utf8")).config??{};const v=process.argv[2].split(".").reduce((o,k)=>o?.[k],c);process.stdout.write(v===undefined?"":String(v))' "Pulumi.$stack.yaml" "$1"; }
runtime="$(get 'warren:runtime')"
mgmt_url="$(get 'warren:broker.managementUrl')"
if [ "${runtime:-external}" = external ] && [[ "$mgmt_url" =~ ^http://(127\.0\.0\.1|localhost):([0-9]+)/?$ ]]; then
  mgmt_port="${BASH_REMATCH[2]}"
  amqp_port="${WARREN_DEV_AMQP_PORT:-5672}"
  admin="$(get 'warren:broker.username')"
  if ! pulumi config get --path warren:broker.password >/dev/null 2>&1; then
    log "generating the local broker's admin password (stored encrypted in .warren/project/Pulumi.$stack.yaml)"
    head -c 24 /dev/urandom | base64 | tr -d '/+=' | pulumi config set --secret --path warren:broker.password >/dev/null
  fi
  pulumi config get --path warren:broker.password | bash scripts/dev-broker.sh start "$amqp_port" "$mgmt_port" "$admin"
fi

# A state last written by warren's per-object topology is upgraded before anything else (see
# scripts/state/upgrade.sh); a preview (WARREN_PREPARE_ONLY) only checks, unless
# WARREN_UPGRADE_STATE=1.
if [ -n "${WARREN_PREPARE_ONLY:-}" ] && [ -z "${WARREN_UPGRADE_STATE:-}" ]; then
  bash scripts/state/upgrade.sh "$work" "$stack" --check ||
    { log "       'npm run up -- $stack' upgrades it first (no broker change), or preview with WARREN_UPGRADE_STATE=1"; exit 1; }
else
  bash scripts/state/upgrade.sh "$work" "$stack"
fi

# scripts/preview.sh uses everything above, then previews with the policy pack instead.
[ -n "${WARREN_PREPARE_ONLY:-}" ] && exit 0

pulumi up --yes --stack "$stack" "$@"
echo
echo "Alert routing (severity x channel):"
node bin/cli/warren.js routes --stack "$stack"
