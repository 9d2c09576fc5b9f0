// The whole platform, for real, on this machine: the dev stack's config on Docker (its own
// network and ports), up; alerts published as the producer reach every channel's sink exactly as
// `warren routes` says; the fault matrix (tests/support/fault-matrix.ts: nodes stopped, killed,
// partitioned and restarted one by one, dispatchers killed and stopped, the sink failing and slow,
// a memory alarm) loses no confirmed alert and recovers by itself; the security suite
// (tests/support/security.ts: TLS only, no guest or anonymous login, least privilege, no secret in
// the state, plan, environment or logs, loopback-only ports); a no-op preview; a config
// change previewed exactly and applied; the policy pack passes; destroy leaves no container,
// network or volume behind.
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Stack } from "@pulumi/pulumi/automation";
import { CHANNELS, DevStack, cleanupDocker, docker, prepareDocker } from "../support/devstack";
import { deliverEveryRoute } from "../support/delivery";
import { FAULT_CASES } from "../support/fault-cases";
import { type CaseResult, formatTable, problems, runCase } from "../support/fault-matrix";
import { SECURITY_CASES } from "../support/security";
import { tempFiles } from "../support/temp";
import type { TestProject } from "../support/engine";
import { PROJECT_DIR } from "../support/program";

const NETWORK = `warren-e2e-${process.pid}`;
const { dir } = tempFiles("warren-e2e-security-");

describe("the dev stack on Docker, end to end", { timeout: 60 * 60_000 }, () => {
  let project: TestProject;
  let stack: Stack;
  let config: Record<string, unknown>;
  let managementPort: number;
  let dev: DevStack;
  const results: CaseResult[] = [];
  const security: { name: string; expected: string; seen: string }[] = [];

  before(async () => {
    prepareDocker();
    ({ project, stack, config, managementPort } = await DevStack.create(NETWORK));
  });

  after(async () => {
    try {
      if (results.length) console.log(`fault matrix, one round:\n${formatTable(results)}`);
      if (security.length)
        console.log(
          `security suite:\n| case | expected | seen |\n| --- | --- | --- |\n${security.map((r) => `| ${r.name} | ${r.expected} | ${r.seen} |`).join("\n")}`,
        );
      await stack?.destroy().catch(() => {});
    } finally {
      project?.dispose();
      cleanupDocker(NETWORK);
    }
  });

  it("brings up 3 running nodes with data and logs in the relocated folders", async (t) => {
    const t0 = performance.now();
    const r = await stack.up();
    t.diagnostic(`up in ${Math.round((performance.now() - t0) / 1000)} s`);
    dev = DevStack.attach(NETWORK, project, stack, r.outputs, config, managementPort);
    assert.deepEqual(
      await dev.runningNodes(),
      [1, 2, 3].map((i) => `rabbit@${NETWORK}-rabbit-${i}`),
    );
    for (const i of [1, 2, 3]) {
      const node = `rabbit@${NETWORK}-rabbit-${i}`;
      assert.match(
        docker("exec", `${NETWORK}-rabbit-${i}`, "ls", "/data/rabbitmq/mnesia"),
        new RegExp(`^${node}$`, "m"),
      );
      assert.match(
        docker("exec", `${NETWORK}-rabbit-${i}`, "ls", "/data/rabbitmq/log"),
        new RegExp(`^${node}\\.log$`, "m"),
      );
      const mounts = JSON.parse(
        docker("inspect", "--format", "{{json .Mounts}}", `${NETWORK}-rabbit-${i}`),
      ) as { Name: string; Destination: string }[];
      // (The image's own anonymous volume for the rabbitmq user's home is not one of ours.)
      assert.deepEqual(
        mounts
          .filter((m) => m.Destination.startsWith("/data/"))
          .map((m) => `${m.Name}:${m.Destination}`)
          .sort(),
        [
          `${NETWORK}-rabbit-${i}-data:/data/rabbitmq/mnesia`,
          `${NETWORK}-rabbit-${i}-logs:/data/rabbitmq/log`,
        ],
      );
    }
    // Producers are given every node.
    assert.equal((r.outputs.amqpEndpoints.value as string[]).length, 3);
    // From here on, a restart of the sink would show.
    await dev.sink.resetStarts();
  });

  it("spreads the quorum queues' leaders over the nodes (least-leaders)", async (t) => {
    const leaders = (await dev.queues()).filter((q) => q.type === "quorum").map((q) => q.leader!);
    const per = dev.nodes.map((c) => leaders.filter((l) => l === `rabbit@${c}`).length);
    t.diagnostic(`quorum queue leaders per node: ${JSON.stringify(per)} of ${leaders.length}`);
    // Each new queue's leader goes to the node leading the fewest (declared a few at a time).
    assert.ok(Math.min(...per) >= Math.floor(leaders.length / 3) - 1, JSON.stringify(per));
    await dev.healthy();
  });

  it("delivers every severity x channel to the sinks exactly as warren routes says", async () => {
    const { want, got } = await deliverEveryRoute(dev, "m");
    for (const c of CHANNELS) assert.deepEqual(got[c], want[c], c);
  });

  // After the deliveries above: every dispatcher has exercised its adapter (logs checked below).
  SECURITY_CASES.forEach((c) => {
    it(`security: ${c.name}`, async () => {
      const seen = await c.run(dev, { dir });
      security.push({ name: c.name, expected: c.expected, seen });
      assert.equal(seen, c.expected);
    });
  });

  FAULT_CASES.forEach((c, i) => {
    it(`fault matrix: ${c.name} — no confirmed alert lost, everything recovered`, async (t) => {
      const r = await runCase(dev, c, 1, i + 1, { alerts: 1000, rate: 100 });
      results.push(r);
      t.diagnostic(formatTable([r]));
      for (const [ch, [want, got, dups]] of Object.entries(r.channels))
        t.diagnostic(`${ch}: ${got}/${want} delivered, ${dups} duplicates`);
      for (const n of r.notes) t.diagnostic(n);
      assert.deepEqual(problems(r), []);
      assert.ok(r.expected > 1000, "the stream routed to the channels");
    });
  });

  it("previews no changes after up", async () => {
    await stack.preview({ expectNoChanges: true });
  });

  it("previews exactly a new dispatcher replica, and applies it", async () => {
    const consumers = structuredClone(config["warren:consumers"]) as {
      channels: Record<string, { replicas?: number }>;
    };
    consumers.channels.wecom.replicas = 2;
    config = { ...config, "warren:consumers": consumers };
    project.setConfig(stack, config);
    const creates: string[] = [];
    await stack.preview({
      onEvent: (e) => {
        const m = e.resourcePreEvent?.metadata;
        if (m && m.op === "create") creates.push(`${m.type} ${String(m.urn.split("::").pop())}`);
        if (m && !["same", "create"].includes(m.op) && !m.type.startsWith("pulumi:"))
          creates.push(`${m.op}! ${m.urn}`);
      },
    });
    assert.deepEqual(creates, ["docker:index/container:Container dispatcher-wecom-2"]);
    await stack.up();
    assert.match(
      docker("ps", "--format", "{{.Names}}", "--filter", `name=${NETWORK}-dispatcher-wecom-2`),
      new RegExp(`${NETWORK}-dispatcher-wecom-2`),
    );
  });

  it("passes the policy pack's dev rules", async () => {
    const r = await stack.preview({
      policyPacks: [path.join(PROJECT_DIR, "policies")],
      policyPackConfigs: [path.join(PROJECT_DIR, "policies", "dev.json")],
    });
    assert.doesNotMatch(r.stdout, /\[mandatory\]/);
  });

  it("removes every container, network and volume on destroy", async () => {
    await stack.destroy();
    assert.equal(docker("ps", "-aq", "--filter", `name=${NETWORK}`), "");
    assert.equal(docker("volume", "ls", "-q", "--filter", `name=${NETWORK}`), "");
    assert.equal(docker("network", "ls", "-q", "--filter", `name=${NETWORK}`), "");
  });
});
