// One benchmark measurement, run in a fresh process so peak memory belongs to this size alone:
// `node bin/bench/topology-run.js N` prints {objects, validateMs, constructMs, peakRssMiB} as JSON.
import { parseWarrenConfig } from "../components/config/spec";
import { tuneForLargeStacks } from "../components/platform/tuning";
import { installMocks, settle } from "../tests/support/mocks";

/** A config of about `n` broker objects, in the proportions of a real deployment. */
export function syntheticConfig(n: number): Record<string, unknown> {
  const vhostCount = Math.max(1, Math.round(n / 200));
  const vhosts = Array.from({ length: vhostCount }, (_, i) => ({ name: `vh${i}` }));
  const per = (share: number) => Math.max(1, Math.round(n * share));
  const exchanges = Array.from({ length: per(0.15) }, (_, i) => ({
    name: `ex${i}`,
    vhost: `vh${i % vhostCount}`,
    type: (["topic", "direct", "fanout"] as const)[i % 3],
  }));
  const queues = Array.from({ length: per(0.3) }, (_, i) => ({
    name: `q${i}`,
    vhost: `vh${i % vhostCount}`,
    type: i % 2 ? "quorum" : "classic",
    arguments: { "x-max-length": 1000 + i },
  }));
  // Exchange i and queue j share a vhost when i ≡ j (mod vhostCount).
  const bindings = Array.from({ length: per(0.4) }, (_, i) => {
    const x = exchanges[i % exchanges.length];
    const vh = Number(x.vhost.slice(2));
    const qi = (Math.floor(i / exchanges.length) * vhostCount + vh) % queues.length;
    const q =
      queues[qi].vhost === x.vhost ? queues[qi] : queues.find((qq) => qq.vhost === x.vhost)!;
    return { vhost: x.vhost, source: x.name, destination: q.name, routingKey: `k${i}.#` };
  });
  const users = Array.from({ length: per(0.05) }, (_, i) => ({
    name: `u${i}`,
    tags: i % 10 ? [] : ["monitoring"],
  }));
  const permissions = users.map((u, i) => ({
    user: u.name,
    vhost: `vh${i % vhostCount}`,
    configure: "^$",
    write: "^ex\\d+$",
    read: "^q\\d+$",
  }));
  const policies = Array.from({ length: per(0.1) - vhostCount }, (_, i) => ({
    name: `p${i}`,
    vhost: `vh${i % vhostCount}`,
    pattern: `^q${i}$`,
    applyTo: "queues",
    definition: { "message-ttl": 60000 },
  }));
  return {
    "warren:environment": "dev",
    "warren:topology": { vhosts, users, permissions, exchanges, queues, bindings, policies },
  };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 1000);
  tuneForLargeStacks(); // as index.ts does
  const config = syntheticConfig(n);
  installMocks();
  // Loaded after installMocks(): the Pulumi runtime must see the mocks when the module loads.
  const { Topology } = await import("../components/topology/topology");

  let t = performance.now();
  const r = parseWarrenConfig(config);
  const validateMs = performance.now() - t;
  if (!r.ok)
    throw new Error(
      r.issues
        .slice(0, 5)
        .map((i) => `${i.path}: ${i.message}`)
        .join("\n"),
    );
  const t0 = r.spec.topology;
  // Object.values() of an interface is any[]: its values are the topology's lists.
  const lists = Object.values(t0) as readonly (readonly unknown[])[];
  const objects = lists.reduce((s, list) => s + list.length, 0);

  t = performance.now();
  new Topology("bench", {
    topology: t0,
    environment: "dev",
    passwords: Object.fromEntries(t0.users.map((u) => [u.name, "p"])),
    management: { url: "http://127.0.0.1:15672", username: "admin", password: "p" },
  });
  await settle();
  const constructMs = performance.now() - t;
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ objects, validateMs, constructMs, peakRssMiB }) + "\n");
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(String(e instanceof Error ? e.message : e) + "\n");
    process.exit(1);
  });
}
