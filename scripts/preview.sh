#!/usr/bin/env bash
# `npm run preview -- STACK [pulumi preview args]`: preview a stack with the policy pack and its
# environment's policy config (policies/<warren:environment>.json), after checking that config
# (the engine ignores settings for rules that do not exist). Same set-up as scripts/up.sh.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$repo"
stack="${1:-dev}"
[ $# -gt 0 ] && shift
env_name="$(node -e 'const c=require("yaml").parse(require("fs").readFileSync(process.argv[1],"utf8")).config??{};process.stdout.write(String(c["warren:environment"]??""))' "Pulumi.$stack.yaml")"
policy_config="${WARREN_POLICY_CONFIG:-policies/$env_name.json}"
. "$repo/scripts/state/backend.sh"
warren_backend "$repo"
WARREN_PREPARE_ONLY=1 bash scripts/up.sh "$stack"
node bin/policies/config-check.js "$policy_config"
export PATH="$(bash scripts/toolchain.sh):$repo/node_modules/@pulumi/pulumi:$PATH" PULUMI_SKIP_UPDATE_CHECK=true
[ -n "${PULUMI_CONFIG_PASSPHRASE:-}${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ] || export PULUMI_CONFIG_PASSPHRASE_FILE="$repo/.warren/passphrase"
pulumi --cwd .warren/project preview --stack "$stack" --policy-pack "$repo/policies" --policy-pack-config "$repo/$policy_config" "$@"
