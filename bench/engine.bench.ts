// `npm run bench:engine`: the real engine against a real RabbitMQ, for 100 and 1,000 broker
// objects: `up` (create), a no-op `preview`, `refresh`, `destroy`, and as the floor the broker
// importing the same objects as one definitions document (POST /api/definitions).
import { randomBytes } from "crypto";
import { HASHING_ALGORITHM, hashPassword } from "../components/cluster/definitions";
import { loadWarrenSpec } from "../components/config/spec";
import type { TopologySpec } from "../components/topology/spec";
import { ensureBroker, type Broker } from "../tests/support/broker";
import { objectDefinitions } from "../tests/support/definitions";
import { testProject } from "../tests/support/engine";
import { syntheticConfig } from "./topology-run";

/** RabbitMQ's definitions format for a topology (users get a salted SHA-256 password hash). */
function definitions(t: TopologySpec) {
  return {
    vhosts: t.vhosts.map((v) => ({ name: v.name })),
    users: t.users.map((u) => ({
      name: u.name,
      password_hash: hashPassword(randomBytes(16).toString("hex"), randomBytes(4)),
      hashing_algorithm: HASHING_ALGORITHM,
      tags: u.tags.join(","),
    })),
    permissions: t.permissions.map((p) => ({
      user: p.user,
      vhost: p.vhost,
      configure: p.configure,
      write: p.write,
      read: p.read,
    })),
    ...objectDefinitions(t),
  };
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await f();
  return [r, (performance.now() - t) / 1000];
}

async function importDefinitions(broker: Broker, t: TopologySpec): Promise<number> {
  const [, s] = await timed(() =>
    broker.mgmtJson("/api/definitions", { method: "POST", body: JSON.stringify(definitions(t)) }),
  );
  // Clean up: deleting the vhosts takes their contents along.
  for (const v of t.vhosts)
    await broker.mgmt(`/api/vhosts/${encodeURIComponent(v.name)}`, { method: "DELETE" });
  for (const u of t.users)
    await broker.mgmt(`/api/users/${encodeURIComponent(u.name)}`, { method: "DELETE" });
  return s;
}

async function main(): Promise<void> {
  const broker = await ensureBroker();
  const project = await testProject();
  const rows: string[] = [];
  try {
    for (const n of [100, 1_000]) {
      const config = {
        ...syntheticConfig(n),
        "warren:broker": { managementUrl: broker.managementUrl, username: broker.adminUser },
      };
      const spec = loadWarrenSpec({
        ...config,
        "warren:broker": {
          managementUrl: broker.managementUrl,
          username: broker.adminUser,
          password: "x",
        },
      });
      // Object.values() of an interface is any[]: its values are the topology's lists.
      const lists = Object.values(spec.topology) as readonly (readonly unknown[])[];
      const objects = lists.reduce((s, l) => s + l.length, 0);
      const floor = await importDefinitions(broker, spec.topology);
      const stack = await project.stack(`bench${n}`, config, {
        "warren:broker.password": broker.adminPassword,
      });
      const [, up] = await timed(() => stack.up());
      const [, preview] = await timed(() => stack.preview({ expectNoChanges: true }));
      const [, refresh] = await timed(() => stack.refresh());
      const [, destroy] = await timed(() => stack.destroy());
      const f = (x: number) => x.toFixed(1).padStart(9);
      rows.push(
        `${String(objects).padStart(8)}${f(up)}${f(preview)}${f(refresh)}${f(destroy)}${f(floor).padStart(13)}${(up / floor).toFixed(0).padStart(8)}x`,
      );
    }
  } finally {
    project.dispose();
    await broker.stop();
  }
  console.log("real engine vs. definitions import (seconds, wall clock)");
  console.log(" objects       up  preview  refresh  destroy  defs-import  up/defs");
  for (const r of rows) console.log(r);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
