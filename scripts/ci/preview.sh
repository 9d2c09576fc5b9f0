#!/usr/bin/env bash
# `npm run ci:preview [-- STACK...]`: `npm run preview -- STACK` (scripts/preview.sh: pulumi
# preview with the policy pack in policies/ and policies/<environment>.json) for every stack (see
# lib.sh), against the team's backend. Exit 1 if any preview fails.
set -euo pipefail
ci_name=ci:preview
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ci_require_engine_env

mapfile -t stacks < <(ci_stacks "$@")
[ ${#stacks[@]} -gt 0 ] || { echo "$ci_name: no Pulumi.<stack>.yaml in $PWD" >&2; exit 1; }
failed=()
for stack in "${stacks[@]}"; do
  echo "$ci_name: $stack" >&2
  npm run --silent preview -- "$stack" || failed+=("$stack")
done
[ ${#failed[@]} -eq 0 ] || { echo "$ci_name: failed: ${failed[*]}" >&2; exit 1; }
