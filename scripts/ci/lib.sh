# Sourced by scripts/ci/*.sh: the stacks a CI step works on and the warren CLI.
# Stacks: the script's arguments, else $WARREN_STACKS (space-separated), else every
# Pulumi.<stack>.yaml in the current folder (npm runs scripts in the project folder).
ci_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"

warren() {
  [ -f "$ci_repo/bin/cli/warren.js" ] || { echo "$ci_name: $ci_repo/bin/cli/warren.js is missing; run npm run build (npm ci does)" >&2; return 1; }
  node "$ci_repo/bin/cli/warren.js" "$@"
}

ci_stacks() {
  if [ $# -gt 0 ]; then
    printf '%s\n' "$@"
  elif [ -n "${WARREN_STACKS:-}" ]; then
    printf '%s\n' $WARREN_STACKS
  else
    local f s
    for f in Pulumi.*.yaml; do
      [ -e "$f" ] || continue
      s="${f#Pulumi.}"
      printf '%s\n' "${s%.yaml}"
    done
  fi
}

# The engine steps need the team's state and secrets, never this machine's defaults (a fresh CI
# machine would otherwise get an empty local backend and a new random passphrase).
ci_require_engine_env() {
  if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
    echo "$ci_name: set PULUMI_BACKEND_URL to the stacks' state backend (e.g. s3://bucket/warren)" >&2
    return 1
  fi
  if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    echo "$ci_name: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) for the stacks' secrets" >&2
    return 1
  fi
}
