// `node bin/scripts/state/upgrade.js EXPORT.json UPGRADED.json`: the one-time state upgrade of
// components/topology/state-upgrade.ts on a `pulumi stack export`. Writes UPGRADED.json and
// exits 0 when something was dropped; exits 3, writing nothing, when the state needs nothing.
// scripts/up.sh runs it before every `pulumi up` (and scripts/preview.sh refuses a state that
// needs it). Prints what it dropped on stderr.
import * as fs from "node:fs";
import { type StackExport, upgradeState } from "../../components/topology/state-upgrade";

function main(argv: string[]): number {
  const [input, output] = argv;
  if (input === undefined || output === undefined) {
    process.stderr.write("usage: upgrade.js EXPORT.json UPGRADED.json\n");
    return 2;
  }
  const result = upgradeState(JSON.parse(fs.readFileSync(input, "utf8")) as StackExport);
  if (result.dropped.length === 0) return 3;
  const kinds = Object.entries(result.byType)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, n]) => `${n} ${type}`)
    .join(", ");
  process.stderr.write(
    `state upgrade: ${result.dropped.length} resources of the per-object topology (${kinds})\n`,
  );
  fs.writeFileSync(output, JSON.stringify(result.state, null, 2), { mode: 0o600 });
  return 0;
}

process.exitCode = main(process.argv.slice(2));
