// `npm run bench:engine`: warren's real engine against its peers, for 100 and 1,000 broker objects,
// all on one private RabbitMQ, one tool at a time:
//   - the broker importing the same objects as one definitions document (POST /api/definitions),
//     the floor; its "destroy" is deleting the vhosts and users again;
//   - Terraform 1.5.7 with the cyrilgdn/rabbitmq provider 1.8.0 (built from source by
//     scripts/terraform/build.sh on first use) on the same objects (bench/terraform.ts): `apply`,
//     a no-op `plan` (which refreshes every resource, as Terraform does by default), `destroy`,
//     at the default parallelism (10);
//   - warren: `pulumi up --skip-preview`, a no-op `pulumi preview`, `refresh`, `destroy` (the CLI).
// Before each tool the broker must hold none of the objects (leftovers are noted and removed), and
// after each create it must hold exactly the spec's objects. BENCH_REPEAT=N (default 1) repeats
// every measurement N times; the table then shows the median and, in brackets, the minimum.
// BENCH_SIZES overrides the sizes (default 100,1000).
import { randomBytes } from "crypto";
import { HASHING_ALGORITHM, hashPassword } from "../components/cluster/definitions";
import { loadWarrenSpec } from "../components/config/spec";
import type { TopologySpec } from "../components/topology/spec";
import { ensureBroker, type Broker } from "../tests/support/broker";
import { KINDS, type Kind, brokerView, counts, readBroker } from "../tests/support/converged";
import { objectDefinitions } from "../tests/support/definitions";
import { testProject } from "../tests/support/engine";
import { PROVIDER_VERSION, TERRAFORM_VERSION, terraformConfig } from "./terraform";
import { terraformDir, terraformTool } from "./terraform-cli";
import { syntheticConfig } from "./topology-run";

// BENCH_SIZES=100 (comma-separated) for a quick look; the table's ratios want two sizes.
const SIZES = (process.env.BENCH_SIZES ?? "100,1000").split(",").map(Number);
const REPEAT = Math.max(1, Math.floor(Number(process.env.BENCH_REPEAT ?? "1")) || 1);

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

const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

type Counts = Record<Kind, number>;

/** The objects on the broker that a topology could own: all but "/", its admin and built-ins. */
const brokerObjects = async (broker: Broker): Promise<Counts> =>
  counts(brokerView(await readBroker(broker), { adminUser: broker.adminUser }));

const describeCounts = (c: Counts) =>
  KINDS.filter((k) => c[k])
    .map((k) => `${c[k]} ${k}`)
    .join(", ");

/** Notes printed under the table: anything that made a comparison less than equal. */
const notes: string[] = [];

/** Before a tool runs: the broker holds no objects; leftovers are noted and removed. */
async function ensureClean(broker: Broker, before: string): Promise<void> {
  const left = await brokerObjects(broker);
  if (KINDS.every((k) => left[k] === 0)) return;
  notes.push(`leftovers before ${before}: ${describeCounts(left)} (removed)`);
  log(`leftovers before ${before}: ${describeCounts(left)}; removing them`);
  for (const v of await broker.mgmtJson<{ name: string }[]>("/api/vhosts"))
    if (v.name !== "/")
      await broker.mgmt(`/api/vhosts/${encodeURIComponent(v.name)}`, { method: "DELETE" });
  for (const u of await broker.mgmtJson<{ name: string }[]>("/api/users"))
    if (u.name !== broker.adminUser)
      await broker.mgmt(`/api/users/${encodeURIComponent(u.name)}`, { method: "DELETE" });
  for (const p of await broker.mgmtJson<{ name: string; vhost: string }[]>("/api/policies"))
    await broker.mgmt(
      `/api/policies/${encodeURIComponent(p.vhost)}/${encodeURIComponent(p.name)}`,
      { method: "DELETE" },
    );
}

/** After a tool's create: the broker holds exactly the spec's objects. */
async function expectCreated(broker: Broker, t: TopologySpec, after: string): Promise<void> {
  const have = await brokerObjects(broker);
  const off = KINDS.filter((k) => have[k] !== t[k].length);
  if (off.length === 0) return;
  const msg = `after ${after}: ${off.map((k) => `${k} ${have[k]} (spec ${t[k].length})`).join(", ")}`;
  notes.push(msg);
  log(msg);
}

interface Series {
  create: number[];
  plan: number[];
  refresh: number[];
  destroy: number[];
}
const series = (): Series => ({ create: [], plan: [], refresh: [], destroy: [] });

interface Row {
  readonly objects: number;
  readonly defs: Series;
  readonly terraform: Series;
  readonly warren: Series;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function measure(
  broker: Broker,
  project: Awaited<ReturnType<typeof testProject>>,
  tool: ReturnType<typeof terraformTool>,
  n: number,
): Promise<Row> {
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
  const t = spec.topology;
  const objects = KINDS.reduce((s, k) => s + t[k].length, 0);
  const tf = terraformConfig(t);
  for (const g of tf.gaps) notes.push(`terraform, ${objects} objects: not expressible: ${g}`);
  const dir = terraformDir(tool, tf.json, {
    endpoint: broker.managementUrl,
    username: broker.adminUser,
    password: broker.adminPassword,
  });
  const row: Row = { objects, defs: series(), terraform: series(), warren: series() };
  try {
    await dir.init();
    const stack = await project.stack(`bench${n}`, config, {
      "warren:broker.password": broker.adminPassword,
    });
    for (let rep = 1; rep <= REPEAT; rep++) {
      const at = `${objects} objects, run ${rep}/${REPEAT}`;
      const step = async (name: string, s: number[], f: () => Promise<unknown>) => {
        const [, secs] = await timed(f);
        s.push(secs);
        log(`${at}: ${name} ${secs.toFixed(1)} s`);
      };

      await ensureClean(broker, `the definitions import (${at})`);
      await step("definitions import", row.defs.create, () =>
        broker.mgmtJson("/api/definitions", {
          method: "POST",
          body: JSON.stringify(definitions(t)),
        }),
      );
      await expectCreated(broker, t, `the definitions import (${at})`);
      // Deleting the vhosts takes their contents along.
      await step("definitions delete", row.defs.destroy, async () => {
        for (const v of t.vhosts)
          await broker.mgmt(`/api/vhosts/${encodeURIComponent(v.name)}`, { method: "DELETE" });
        for (const u of t.users)
          await broker.mgmt(`/api/users/${encodeURIComponent(u.name)}`, { method: "DELETE" });
      });

      await ensureClean(broker, `terraform apply (${at})`);
      await step("terraform apply", row.terraform.create, () => dir.apply());
      await expectCreated(broker, t, `terraform apply (${at})`);
      await step("terraform plan", row.terraform.plan, async () => {
        const p = await dir.plan();
        if (p.changes) {
          const summary = /^Plan: .*$/m.exec(p.output)?.[0] ?? "changes";
          notes.push(`terraform plan after apply was not a no-op (${at}): ${summary}`);
        }
      });
      await step("terraform destroy", row.terraform.destroy, () => dir.destroy());

      await ensureClean(broker, `warren up (${at})`);
      // The pulumi CLI as a user (and CI, `npm run up`) runs it, as Terraform's CLI above; the
      // Automation API would add its own CLI calls (stack select, config) to every step.
      const pulumi =
        (...args: string[]) =>
        () => {
          const r = project.cli([...args, "--stack", stack.name, "--non-interactive"]);
          if (r.code !== 0)
            throw new Error(`pulumi ${args.join(" ")} (${at}) failed:\n${r.stderr}${r.stdout}`);
          return Promise.resolve();
        };
      await step("warren up", row.warren.create, pulumi("up", "--yes", "--skip-preview"));
      await expectCreated(broker, t, `warren up (${at})`);
      await step("warren preview", row.warren.plan, pulumi("preview", "--expect-no-changes"));
      await step(
        "warren refresh",
        row.warren.refresh,
        pulumi("refresh", "--yes", "--skip-preview"),
      );
      await step(
        "warren destroy",
        row.warren.destroy,
        pulumi("destroy", "--yes", "--skip-preview"),
      );
    }
    await ensureClean(broker, `the next size (after ${objects} objects)`);
  } finally {
    dir.dispose();
  }
  return row;
}

function table(rows: readonly Row[]): string[] {
  const cell = (xs: readonly number[]) => {
    if (xs.length === 0) return "-";
    const m = median(xs).toFixed(1);
    return REPEAT > 1 ? `${m} [${Math.min(...xs).toFixed(1)}]` : m;
  };
  const ratio = (a: readonly number[], b: readonly number[]) => {
    const r = median(a) / median(b);
    return `${r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r.toFixed(2)}x`;
  };
  const w = REPEAT > 1 ? 13 : 9;
  const line = (cols: readonly string[], widths: readonly number[]) =>
    cols.map((c, i) => (i === 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("");
  const widths = [8, 14, w, w + 3, w, w, 13, 10, 20];
  const out = [
    `warren vs. Terraform ${TERRAFORM_VERSION} (cyrilgdn/rabbitmq ${PROVIDER_VERSION}) vs. definitions import: ` +
      `one private broker, seconds, wall clock` +
      (REPEAT > 1 ? `; median [min] of ${REPEAT} runs` : ""),
    line(
      [
        "objects",
        "  tool",
        "create",
        "no-op plan",
        "refresh",
        "destroy",
        "up÷tf-apply",
        "up÷defs",
        "destroy÷tf-destroy",
      ],
      widths,
    ),
  ];
  for (const r of rows) {
    const o = String(r.objects);
    out.push(
      line([o, "  defs-import", cell(r.defs.create), "-", "-", cell(r.defs.destroy)], widths),
      line(
        [
          o,
          "  terraform",
          cell(r.terraform.create),
          cell(r.terraform.plan),
          "-",
          cell(r.terraform.destroy),
        ],
        widths,
      ),
      line(
        [
          o,
          "  warren",
          cell(r.warren.create),
          cell(r.warren.plan),
          cell(r.warren.refresh),
          cell(r.warren.destroy),
          ratio(r.warren.create, r.terraform.create),
          ratio(r.warren.create, r.defs.create),
          ratio(r.warren.destroy, r.terraform.destroy),
        ],
        widths,
      ),
    );
  }
  if (rows.length >= 2) {
    const [a, b] = [rows[0], rows[rows.length - 1]];
    out.push(
      `growth ${b.objects}÷${a.objects} objects (${(b.objects / a.objects).toFixed(0)}x): ` +
        `warren up ${ratio(b.warren.create, a.warren.create)}, ` +
        `terraform apply ${ratio(b.terraform.create, a.terraform.create)}, ` +
        `definitions import ${ratio(b.defs.create, a.defs.create)}`,
    );
  }
  return out;
}

async function main(): Promise<void> {
  // First, before the broker starts: on a new machine this builds Terraform (minutes).
  const tool = terraformTool();
  const broker = await ensureBroker();
  const project = await testProject();
  const rows: Row[] = [];
  try {
    for (const n of SIZES) rows.push(await measure(broker, project, tool, n));
  } finally {
    project.dispose();
    await broker.stop();
  }
  for (const l of table(rows)) console.log(l);
  if (notes.length) {
    console.log("notes:");
    for (const n of notes) console.log(`  ${n}`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
