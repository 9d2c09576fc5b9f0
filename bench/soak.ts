// `npm run soak -- --rounds N [--alerts 1000] [--rate 100] [--case TEXT]`: the fault matrix
// (tests/support/fault-matrix.ts) N times on one dev stack on Docker (its own network and ports),
// printing each case as it ends and, at the end, the table of every round: confirmed, delivered,
// duplicates, lost, time to drain, p50/p99 publish-to-sink latency. Exits 1 when any case lost an
// alert, left one unconfirmed, or did not recover by itself. The stack is destroyed at the end.
import { parseArgs } from "node:util";
import { DevStack, cleanupDocker } from "../tests/support/devstack";
import { FAULT_CASES } from "../tests/support/fault-cases";
import { type CaseResult, formatTable, problems, runCase } from "../tests/support/fault-matrix";

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      rounds: { type: "string", default: "1" },
      alerts: { type: "string", default: "1000" },
      rate: { type: "string", default: "100" },
      case: { type: "string" },
    },
  });
  const rounds = Number(values.rounds);
  const alerts = Number(values.alerts);
  const rate = Number(values.rate);
  if (![rounds, alerts, rate].every((n) => Number.isInteger(n) && n > 0)) {
    console.error("soak: --rounds, --alerts and --rate must be positive integers");
    return 2;
  }
  const cases = FAULT_CASES.filter((c) => !values.case || c.name.includes(values.case));
  if (cases.length === 0) {
    console.error(
      `soak: no case matches ${JSON.stringify(values.case)}; cases:\n${FAULT_CASES.map((c) => `  ${c.name}`).join("\n")}`,
    );
    return 2;
  }
  const network = `warren-soak-${process.pid}`;
  const t0 = Date.now();
  console.log(`soak: bringing up the dev stack on network ${network}...`);
  let dev: DevStack | undefined;
  const rows: CaseResult[] = [];
  let failed = 0;
  try {
    dev = await DevStack.up(network);
    await dev.sink.resetStarts();
    console.log(
      `soak: up in ${Math.round((Date.now() - t0) / 1000)} s; ${rounds} round(s) of ${cases.length} case(s), ${alerts} alerts each at ${rate}/s`,
    );
    for (let round = 1; round <= rounds; round++) {
      for (const [i, c] of cases.entries()) {
        const r = await runCase(dev, c, round, i + 1, { alerts, rate });
        rows.push(r);
        const bad = problems(r);
        if (bad.length) failed++;
        console.log(
          formatTable([r]).split("\n")[1] + (bad.length ? `\n  FAILED: ${bad.join("\n  ")}` : ""),
        );
      }
    }
  } finally {
    console.log(`\n${formatTable(rows)}`);
    const lost = rows.reduce((a, r) => a + r.lost, 0);
    const dups = rows.reduce((a, r) => a + r.duplicates, 0);
    console.log(
      `\nsoak: ${rows.length} cases, ${failed} failed, ${lost} lost, ${dups} duplicates, in ${Math.round((Date.now() - t0) / 60000)} min`,
    );
    if (dev) await dev.dispose();
    else cleanupDocker(network);
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`soak: ${e instanceof Error ? (e.stack ?? String(e)) : String(e)}`);
    process.exit(1);
  },
);
