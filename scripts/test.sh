#!/usr/bin/env bash
# `npm test`: every test, on a fresh machine too. Sets up what is missing (scripts/setup.sh),
# starts one private RabbitMQ node on loopback for the whole run, runs the unit and integration
# tests with node's test runner, and stops the node again, whatever happens.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$repo"
start=$SECONDS

toolchain_bin="$(bash scripts/setup.sh)"
export PATH="$toolchain_bin:$repo/node_modules/@pulumi/pulumi:$PATH" PULUMI_SKIP_UPDATE_CHECK=true

# The staging test starts the local Kubernetes (scripts/kube.sh) and stops it at its end; should the
# run die first, a cluster this run started is stopped here (one that was up before is left alone).
kube_was_up=
bash scripts/kube.sh status >/dev/null 2>&1 && kube_was_up=1

broker_pid=
cleanup() {
  if [ -z "$kube_was_up" ] && bash scripts/kube.sh status >/dev/null 2>&1; then
    echo "test: stopping the local Kubernetes this run left up" >&2
    bash scripts/kube.sh down || true
  fi
  if [ -n "$broker_pid" ] && kill -0 "$broker_pid" 2>/dev/null; then
    kill -TERM "$broker_pid" # its handler stops the node and removes its files
    wait "$broker_pid" 2>/dev/null || true
  fi
  rm -f "${broker_env:-}"
}
trap cleanup EXIT

broker_env="$(mktemp)"
node bin/tests/support/broker.js > "$broker_env" &
broker_pid=$!
for _ in $(seq 1 600); do
  grep -q '^WARREN_TEST_BROKER=' "$broker_env" && break
  kill -0 "$broker_pid" 2>/dev/null || { echo "test: the test broker did not start" >&2; exit 1; }
  sleep 0.2
done
export WARREN_TEST_BROKER="$(sed -n 's/^WARREN_TEST_BROKER=//p' "$broker_env")"
[ -n "$WARREN_TEST_BROKER" ] || { echo "test: the test broker did not start in time" >&2; exit 1; }

set +e
node --test --test-concurrency=1 bin/tests/ "$@"
code=$?
set -e
echo "test: finished in $((SECONDS - start)) s (exit $code)" >&2
exit $code
