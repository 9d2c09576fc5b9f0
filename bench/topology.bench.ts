// `npm run bench`: validation and component construction for 100, 1,000 and 10,000 broker
// objects (each size in its own process, for its own peak memory), and the routing simulator.
import { execFileSync } from "child_process";
import * as path from "path";
import { benchRouting } from "./routing";

interface Row {
  objects: number;
  validateMs: number;
  constructMs: number;
  peakRssMiB: number;
}

function measure(n: number): Row {
  const out = execFileSync(process.execPath, [path.join(__dirname, "topology-run.js"), String(n)], {
    encoding: "utf8",
  });
  return JSON.parse(out) as Row;
}

const fmt = (n: number, d = 0) => n.toFixed(d).padStart(10);

const rows = [100, 1_000, 10_000].map(measure);
console.log("topology: validate + construct (Pulumi mocks)");
console.log("   objects  validate ms  construct ms     total ms  peak RSS MiB");
for (const r of rows)
  console.log(
    `${fmt(r.objects)}   ${fmt(r.validateMs, 1)}    ${fmt(r.constructMs, 1)}   ${fmt(r.validateMs + r.constructMs, 1)}    ${fmt(r.peakRssMiB, 1)}`,
  );
const [, k1, k10] = rows;
const growth = (k10.validateMs + k10.constructMs) / (k1.validateMs + k1.constructMs);
console.log(
  `growth 10k/1k: ${growth.toFixed(1)}x (target < 15x); 10k total ${((k10.validateMs + k10.constructMs) / 1000).toFixed(2)} s (target < 3 s), peak ${k10.peakRssMiB.toFixed(0)} MiB (target < 1024)`,
);

const rt = benchRouting(10_000, 10_000);
console.log("\nrouting simulator: topic exchange");
console.log("  bindings      keys   index ms   route ms   total ms");
console.log(
  `${fmt(rt.bindings)}${fmt(rt.keys)} ${fmt(rt.buildMs, 1)} ${fmt(rt.routeMs, 1)} ${fmt(rt.buildMs + rt.routeMs, 1)}   (target < 2000 ms)`,
);
