#!/usr/bin/env bash
# `npm run ci:up [-- STACK...]`: `npm run up -- STACK` (scripts/up.sh: pulumi up) for every stack
# (see lib.sh), in order, against the team's backend; stops at the first failure.
set -euo pipefail
ci_name=ci:up
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ci_require_engine_env

mapfile -t stacks < <(ci_stacks "$@")
[ ${#stacks[@]} -gt 0 ] || { echo "$ci_name: no Pulumi.<stack>.yaml in $PWD" >&2; exit 1; }
for stack in "${stacks[@]}"; do
  echo "$ci_name: $stack" >&2
  npm run --silent up -- "$stack"
done
