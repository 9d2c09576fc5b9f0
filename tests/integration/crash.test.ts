// Crash safety through the real engine and a real broker (issue 15): a `pulumi up` of ~1,000
// objects (bench/topology-run.ts's syntheticConfig) is interrupted in the middle, and the next
// `pulumi up` must converge to exactly the declared topology: nothing missing or orphaned on the
// broker (tests/support/converged.ts), no pending operations and no duplicate resources in the
// state, and a preview with no changes after it. What the user has to do after a kill is in
// `recoverAndCheck`: `pulumi cancel`, `pulumi up`, `pulumi refresh --clear-pending-creates`.
//   A. `kill -9` of the whole run: the CLI's process group and those of the language host and the
//      providers (the engine starts each plugin in a process group of its own, so a kill of the
//      CLI's group alone leaves them running);
//   B. the broker killed (SIGKILL of its VM) under a running `pulumi up`, then started again on
//      the same ports and data.
// "In the middle" is made exact by a gate in front of the management API (tests/support/gate.ts):
// it lets two of the five vhosts' definitions imports through and holds the rest unanswered, so
// some but not all of the declared queues exist (checked) when the kill comes.
// Everything is started here and stopped by PID: the run's processes, the broker's VM.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import * as amqp from "amqplib";
import type { Stack } from "@pulumi/pulumi/automation";
import { syntheticConfig } from "../../bench/topology-run";
import { loadWarrenSpec } from "../../components/config/spec";
import { emptyTopology, type TopologySpec } from "../../components/topology/spec";
import { type RestartableBroker, startRestartableBroker } from "../support/broker";
import { assertConverged, convergenceDiff } from "../support/converged";
import { type TestProject, testProject } from "../support/engine";
import { type Gate, startGate } from "../support/gate";
import { describeProcess, pidsWhere, tryKill } from "../support/processes";
import { until } from "../support/wait";

const OBJECTS = 1000;
const VHOST_OBJECTS = "pulumi-nodejs:dynamic/warren:VhostObjects";
const BROKER_ACCESS = "pulumi-nodejs:dynamic/warren:BrokerAccess";

/** Vhost imports the gate lets through before it holds the rest (of 5 vhosts). */
const PASS_IMPORTS = 2;

function stackConfig(b: RestartableBroker): Record<string, unknown> {
  return {
    ...syntheticConfig(OBJECTS),
    "warren:broker": { managementUrl: gate.url, username: b.adminUser },
  };
}

/** The validated topology the stack declares, as the program sees it. */
function declared(config: Record<string, unknown>): TopologySpec {
  return loadWarrenSpec({
    ...config,
    "warren:broker": { ...(config["warren:broker"] as object), password: "x" },
  }).topology;
}

interface Run {
  readonly child: ChildProcess;
  /** Resolves with the exit code (null if killed by a signal). */
  readonly done: Promise<number | null>;
  /** What it printed so far (stdout and stderr). */
  output(): string;
}

/**
 * `pulumi ARGS` in the project folder, as a user would run it, in a process group of its own
 * (its plugins get theirs: see engineProcesses), output to a file.
 */
function pulumi(project: TestProject, args: string[]): Run {
  const log = path.join(project.dir, `pulumi-${Date.now()}-${args[0]}.log`);
  const fd = fs.openSync(log, "a");
  const child = spawn("pulumi", [...args, "--non-interactive"], {
    cwd: project.dir,
    env: { ...process.env, ...project.env },
    detached: true,
    stdio: ["ignore", fd, fd],
  });
  fs.closeSync(fd);
  const done = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => resolve(code));
  });
  return { child, done, output: () => fs.readFileSync(log, "utf8") };
}

/** Runs `pulumi ARGS` to its end (its process group is killed after `timeoutMs`). */
async function pulumiOk(
  project: TestProject,
  args: string[],
  timeoutMs = 10 * 60_000,
): Promise<{ code: number | null; output: string; ms: number }> {
  const t0 = Date.now();
  const run = pulumi(project, args);
  const timer = setTimeout(() => tryKill(-run.child.pid!), timeoutMs);
  try {
    const code = await run.done;
    return { code, output: run.output(), ms: Date.now() - t0 };
  } finally {
    clearTimeout(timer);
  }
}

/** The processes an engine run of this project left: its CLI, language host, providers. */
const engineProcesses = (project: TestProject) =>
  pidsWhere((p) => p.environ.includes(`PULUMI_HOME=${project.env.PULUMI_HOME}`));

/** Fails, naming them, if processes of the project's engine runs are still there after 10 s. */
async function noEngineProcessesLeft(project: TestProject): Promise<void> {
  await until(
    "the engine run's processes to be gone",
    () => engineProcesses(project).length === 0,
    10_000,
  ).catch((e: Error) => {
    const left = engineProcesses(project);
    for (const pid of left) tryKill(pid);
    throw new Error(`${e.message}: ${left.map(describeProcess).join("; ")}`);
  });
}

/**
 * Waits until the gate has let `PASS_IMPORTS` vhost imports through and holds a later one (the
 * up is then stopped in the middle, and stays there); returns how many of the declared queues
 * are on the broker, which must be some but not all.
 */
async function caughtInTheMiddle(
  b: RestartableBroker,
  t: TopologySpec,
  up: Run,
): Promise<{ present: number; of: number; imported: string[]; held: string[] }> {
  const ended = up.done.then((code) => {
    throw new Error(
      `pulumi up ended (exit ${String(code)}) before it was caught in the middle:\n${up.output().slice(-3000)}`,
    );
  });
  const { imported, held } = await Promise.race([gate.caught(), ended]);
  ended.catch(() => undefined);
  const want = new Set(t.queues.map((q) => `${q.vhost}/${q.name}`));
  const live = await b.mgmtJson<{ name: string; vhost: string }[]>(
    "/api/queues?columns=name,vhost",
  );
  const present = live.filter((q) => want.has(`${q.vhost}/${q.name}`)).length;
  assert.ok(
    present > 0 && present < want.size,
    `not in the middle: ${present} of ${want.size} declared queues on the broker (imported: ${imported.join(", ")}; held: ${held.join(", ")})`,
  );
  return { present, of: want.size, imported, held };
}

interface Exported {
  deployment: {
    resources?: { urn: string; type: string }[];
    pending_operations?: { type: string; resource: { urn: string; type: string } }[];
  };
}

/**
 * The file backend's `.attrs` sidecars in the project's state folder. The backend rewrites a
 * sidecar in place (truncate, then write) before it renames the file itself into place, so a kill
 * between the two left an empty one and "failed to load checkpoint: EOF" on every later command;
 * warren's backend URL has `metadata=skip` (scripts/state/backend.sh), which writes none.
 */
function sidecars(project: TestProject): string[] {
  const state = path.join(project.dir, ".state");
  return (fs.readdirSync(state, { recursive: true }) as string[]).filter((f) =>
    f.endsWith(".attrs"),
  );
}

function exportState(project: TestProject, stack: string): Exported {
  const file = path.join(project.dir, `export-${Date.now()}.json`);
  const r = project.cli(["stack", "export", "--stack", stack, "--file", file]);
  assert.equal(r.code, 0, r.stderr);
  const state = JSON.parse(fs.readFileSync(file, "utf8")) as Exported;
  fs.rmSync(file);
  return state;
}

/** The state after a recovery: nothing pending, one resource per URN, one per vhost + access. */
function assertCleanState(project: TestProject, stack: string, t: TopologySpec) {
  const d = exportState(project, stack).deployment;
  assert.deepEqual(pendingOf(d), [], "pending operations are left in the state");
  const urns = (d.resources ?? []).map((r) => r.urn);
  const dup = urns.filter((u, i) => urns.indexOf(u) !== i);
  assert.deepEqual(dup, [], "the state holds a resource twice");
  const types = (d.resources ?? []).map((r) => r.type);
  const vhosts = types.filter((x) => x === VHOST_OBJECTS).length;
  const access = types.filter((x) => x === BROKER_ACCESS).length;
  assert.deepEqual({ vhosts, access }, { vhosts: t.vhosts.length, access: 1 });
}

/** Every user's password from the stack outputs opens an AMQP connection to its vhost. */
async function assertCredentialsWork(b: RestartableBroker, stack: Stack, t: TopologySpec) {
  const creds = (await stack.outputs()).credentials.value as Record<string, string>;
  assert.deepEqual(Object.keys(creds).sort(), t.users.map((u) => u.name).sort());
  const vhostOf = new Map(t.permissions.map((p) => [p.user, p.vhost]));
  const failed: string[] = [];
  for (const u of t.users) {
    try {
      const conn = await amqp.connect(b.amqpUrl(u.name, creds[u.name], vhostOf.get(u.name)));
      await conn.close();
    } catch (e) {
      failed.push(`${u.name}: ${(e as Error).message}`);
    }
  }
  assert.deepEqual(failed, [], "passwords in the state that the broker refuses");
}

/** A state's pending operations, as "creating warren:vhost:vh0". */
const pendingOf = (d: Exported["deployment"]) =>
  (d.pending_operations ?? []).map((o) => `${o.type} ${o.resource.urn.split("::").pop()!}`).sort();

/**
 * What a user does after an interrupted `up`, then the checks; returns the steps taken.
 *   1. `pulumi up` again. After a kill the file backend's lock of the dead run may still be
 *      there: then `pulumi cancel` and `pulumi up` once more.
 *   2. The engine keeps an interrupted run's pending CREATE operations through later updates
 *      (it cannot know whether they happened), so `pulumi refresh --clear-pending-creates` drops
 *      them; the up has by then created those resources (the creates are upserts).
 */
async function recoverAndCheck(
  project: TestProject,
  stack: Stack,
  b: RestartableBroker,
  t: TopologySpec,
  pendingBefore: readonly string[],
): Promise<{ steps: string[]; upMs: number }> {
  const steps: string[] = [];
  const step = async (args: string[]) => {
    const r = await pulumiOk(project, [...args, "--stack", stack.name]);
    steps.push(`pulumi ${args.join(" ")}: exit ${String(r.code)} (${r.ms} ms)`);
    return r;
  };
  const UP = ["up", "--yes", "--skip-preview"];
  let up = await step(UP);
  if (up.code !== 0 && /locked by \d+ lock/.test(up.output)) {
    const cancel = await step(["cancel", "--yes"]);
    assert.equal(cancel.code, 0, cancel.output);
    up = await step(UP);
  }
  assert.equal(up.code, 0, `${steps.join("; ")}\n${up.output.slice(-4000)}`);
  await assertConverged(t, b);
  // The up created what was interrupted, and kept the interrupted creates pending.
  const pendingCreates = pendingBefore.filter((p) => p.startsWith("creating "));
  assert.deepEqual(pendingOf(exportState(project, stack.name).deployment), pendingCreates);
  if (pendingCreates.length) {
    const refresh = await step(["refresh", "--yes", "--skip-preview", "--clear-pending-creates"]);
    assert.equal(refresh.code, 0, refresh.output);
  }
  assertCleanState(project, stack.name, t);
  await assertConverged(t, b);
  const preview = await stack.preview({ expectNoChanges: true });
  assert.deepEqual(
    Object.keys(preview.changeSummary).filter((k) => k !== "same"),
    [],
    preview.stdout,
  );
  await assertCredentialsWork(b, stack, t);
  return { steps, upMs: up.ms };
}

let broker: RestartableBroker;
let project: TestProject;
let gate: Gate;
before(async () => {
  broker = await startRestartableBroker({ startTimeoutMs: 120_000 });
  project = await testProject();
});
// A new gate for each case, in front of the broker's management API.
beforeEach(async () => {
  gate = await startGate(broker.managementUrl, PASS_IMPORTS);
});
afterEach(async () => {
  await gate.close();
});
after(async () => {
  try {
    if (project) for (const pid of engineProcesses(project)) tryKill(pid);
  } finally {
    project?.dispose();
    await broker?.stop();
  }
});

describe(
  "an interrupted pulumi up of ~1,000 objects converges on the next up",
  { timeout: 30 * 60_000 },
  () => {
    const config = () => stackConfig(broker);
    const secrets = () => ({ "warren:broker.password": broker.adminPassword });

    it("A: kill -9 of pulumi and every process it started, in the middle", async () => {
      const t = declared(config());
      const stack = await project.stack("crash-kill", config(), secrets());
      const up = pulumi(project, ["up", "--yes", "--skip-preview", "--stack", stack.name]);
      const middle = await caughtInTheMiddle(broker, t, up);
      // The CLI's process group, and the language host's and each provider's (the engine starts
      // every plugin in a process group of its own): all of the run at once, as when its machine
      // or container dies.
      const killed = [-up.child.pid!, ...engineProcesses(project)];
      for (const pid of killed) tryKill(pid);
      assert.equal(await up.done, null, "pulumi up was not killed");
      await noEngineProcessesLeft(project);
      await gate.reopen();
      assert.deepEqual(sidecars(project), [], "the state folder holds sidecars a kill can tear");

      const crashed = exportState(project, stack.name).deployment;
      const pending = pendingOf(crashed);
      // Really in the middle: the users and grants (which wait for every vhost) never started.
      assert.ok(
        !(crashed.resources ?? []).some((r) => r.type === BROKER_ACCESS),
        "the access resource was created before the kill",
      );
      const { steps, upMs } = await recoverAndCheck(project, stack, broker, t, pending);
      process.stderr.write(
        `crash A: killed with ${middle.present}/${middle.of} queues declared; pending in the state: ${pending.join(", ") || "none"}; recovery: ${steps.join("; ")} (${upMs} ms)\n`,
      );
      const destroyed = await stack.destroy();
      assert.equal(destroyed.summary.result, "succeeded");
      assert.deepEqual(await convergenceDiff(emptyTopology(), broker), []);
    });

    it("B: the broker killed under a running up, then started again", async () => {
      const t = declared(config());
      const stack = await project.stack("crash-broker", config(), secrets());
      const up = pulumi(project, ["up", "--yes", "--skip-preview", "--stack", stack.name]);
      let code: number | null;
      let failedAfterMs: number;
      let middle: { present: number; of: number };
      try {
        middle = await caughtInTheMiddle(broker, t, up);
        // The broker's VM killed, and its port gone with it: the held imports are reset, and new
        // connections refused, as when the broker's machine dies.
        await broker.killNode();
        await gate.cut();
        // The up must fail on its own, and soon: no hang on a broker that went away.
        const killedAt = Date.now();
        const timeout = new Promise<"hang">((r) => setTimeout(() => r("hang"), 3 * 60_000).unref());
        const r = await Promise.race([up.done, timeout]);
        assert.notEqual(r, "hang", `pulumi up still runs 3 min after the broker went away`);
        code = r as number | null;
        failedAfterMs = Date.now() - killedAt;
      } finally {
        tryKill(-up.child.pid!);
        if (!broker.nodeRunning()) await broker.startNode();
        await gate.reopen();
      }
      assert.notEqual(code, 0, "pulumi up succeeded without its broker");
      assert.notEqual(code, null, "pulumi up was killed by a signal");
      assert.match(
        up.output(),
        new RegExp(`RabbitMQ management API at ${gate.url.replace(/\./g, "\\.")} is unreachable`),
      );
      assert.doesNotMatch(up.output(), / {4}at /, "a stack trace reached the user");
      await noEngineProcessesLeft(project);

      const failed = exportState(project, stack.name).deployment;
      const pending = pendingOf(failed);
      const { steps, upMs } = await recoverAndCheck(project, stack, broker, t, pending);
      process.stderr.write(
        `crash B: broker killed with ${middle.present}/${middle.of} queues declared; up failed ${failedAfterMs} ms later (exit ${String(code)}); pending in the state: ${pending.join(", ") || "none"}; recovery: ${steps.join("; ")} (${upMs} ms)\n`,
      );
      const destroyed = await stack.destroy();
      assert.equal(destroyed.summary.result, "succeeded");
      assert.deepEqual(await convergenceDiff(emptyTopology(), broker), []);
    });
  },
);
