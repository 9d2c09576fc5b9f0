#!/usr/bin/env bash
# `npm run ci:validate [-- STACK...]`: `warren validate` for every stack (see lib.sh), each
# line prefixed with its stack. Exit 1 if any stack is invalid.
set -euo pipefail
ci_name=ci:validate
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mapfile -t stacks < <(ci_stacks "$@")
[ ${#stacks[@]} -gt 0 ] || { echo "$ci_name: no Pulumi.<stack>.yaml in $PWD" >&2; exit 1; }
status=0
for stack in "${stacks[@]}"; do
  if out="$(warren validate --stack "$stack" 2>&1)"; then :; else status=1; fi
  printf '%s\n' "$out" | awk -v p="$stack: " '{ print p $0 }'
done
exit $status
