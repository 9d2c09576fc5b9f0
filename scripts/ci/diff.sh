#!/usr/bin/env bash
# `npm run ci:diff [-- STACK...]`: `warren diff --format markdown --graph` for every stack (see
# lib.sh), as one Markdown document for a pull-request comment, written to $WARREN_DIFF_OUT
# (default .warren/ci/diff.md) and printed. The base is $WARREN_DIFF_BASE (a git ref, e.g.
# origin/main) or warren diff's default (the merge base of HEAD with origin/main, else main).
# A comment over $WARREN_DIFF_MAX_BYTES (default 65000; GitHub takes 65536 characters) drops
# the diagrams, then is cut. Exit: 1 if any stack fails, else 2 if any needs an approval, else 0.
set -euo pipefail
ci_name=ci:diff
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

out="${WARREN_DIFF_OUT:-.warren/ci/diff.md}"
max="${WARREN_DIFF_MAX_BYTES:-65000}"
base=()
[ -n "${WARREN_DIFF_BASE:-}" ] && base=(--base "$WARREN_DIFF_BASE")
mapfile -t stacks < <(ci_stacks "$@")
[ ${#stacks[@]} -gt 0 ] || { echo "$ci_name: no Pulumi.<stack>.yaml in $PWD" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0
for stack in "${stacks[@]}"; do
  set +e
  warren diff --stack "$stack" "${base[@]}" --format markdown --graph > "$work/$stack.graph.md" 2> "$work/$stack.err"
  code=$?
  set -e
  if [ $code -eq 0 ] || [ $code -eq 2 ]; then
    # The same report without the diagram, in case the comment is too long with it.
    warren diff --stack "$stack" "${base[@]}" --format markdown > "$work/$stack.md" 2> /dev/null || true
    [ $code -eq 2 ] && [ $status -eq 0 ] && status=2
  else
    status=1
    awk -v p="$stack: " '{ print p $0 }' "$work/$stack.err" >&2
    { printf '### warren diff: stack `%s` failed\n\n```\n' "$stack"; cat "$work/$stack.err"; printf '```\n'; } > "$work/$stack.md"
    cp "$work/$stack.md" "$work/$stack.graph.md"
  fi
done

assemble() {
  local suffix="$1" first=1 stack
  for stack in "${stacks[@]}"; do
    [ $first -eq 1 ] || printf '\n---\n\n'
    first=0
    cat "$work/$stack$suffix"
  done
}
mkdir -p "$(dirname "$out")"
assemble .graph.md > "$out"
if [ "$(wc -c < "$out")" -gt "$max" ]; then
  { assemble .md; printf '\n%s\n' "_Diagrams left out to fit a pull-request comment: \`npx warren graph --stack NAME\` draws them._"; } > "$out"
fi
if [ "$(wc -c < "$out")" -gt "$max" ]; then
  note="_The report is cut here: it is longer than a pull-request comment may be. Run \`npx warren diff\` for all of it._"
  # Whole lines only, so no line (or character) is cut in half.
  assemble .md > "$work/all"
  head -c "$((max - ${#note} - 2))" "$work/all" | sed '$d' > "$work/cut"
  { cat "$work/cut"; printf '\n%s\n' "$note"; } > "$out"
fi
cat "$out"
exit $status
