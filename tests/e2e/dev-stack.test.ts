// The whole platform, for real, on this machine: the dev stack's config on Docker (its own
// network and ports), up; alerts published as the producer reach every channel's sink exactly as
// `warren routes` says; faults (a node stopped, a dispatcher killed, the sink failing) lose no
// confirmed alert; a no-op preview; a config change previewed exactly and applied; the policy
// pack passes; destroy leaves no container, network or volume behind.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { OutputMap, Stack } from "@pulumi/pulumi/automation";
import { loadWarrenSpec } from "../../components/config/spec";
import { readStackConfig } from "../../components/config/stack-file";
import { RoutingTable } from "../../components/topology/routing";
import { type TestProject, testProject } from "../support/engine";
import { PROJECT_DIR } from "../support/program";
import * as amqp from "amqplib";

const NETWORK = `warren-e2e-${process.pid}`;
const SEVERITIES = ["info", "warning", "error", "critical"];
const CHANNELS = ["wechat", "wecom", "dingtalk", "email", "sms", "phone"];

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
const docker = (...args: string[]) => sh("docker", args);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Free ports p, p+1, p+2 (node i is published on p + i - 1). */
async function freeRange(n: number): Promise<number> {
  for (;;) {
    const p = 30000 + Math.floor(Math.random() * 9000);
    const ok = await Promise.all(Array.from({ length: n }, (_, i) => new Promise<boolean>((r) => {
      const s = net.createServer().once("error", () => r(false)).listen(p + i, "127.0.0.1", () => s.close(() => r(true)));
    })));
    if (ok.every(Boolean)) return p;
  }
}

const alert = (id: string, severity: string) =>
  Buffer.from(JSON.stringify({ id, severity, title: `e2e ${id}`, body: "", source: "e2e", labels: { test: "e2e" }, timestamp: new Date().toISOString() }));

describe("the dev stack on Docker, end to end", { timeout: 25 * 60_000 }, () => {
  let project: TestProject;
  let stack: Stack;
  let outputs: OutputMap;
  let config: Record<string, unknown>;
  let sinkUrl: string;
  let amqpUrl: string;
  const delivered = async (): Promise<Record<string, string[]>> => (await (await fetch(`${sinkUrl}/deliveries`)).json()) as Record<string, string[]>;

  /** Publishes alerts as the producer with confirms; resolves with the confirmed ids. */
  async function publish(alerts: { id: string; key: string; severity: string }[], during?: (i: number) => Promise<void>): Promise<string[]> {
    const conn = await amqp.connect(amqpUrl);
    const ch = await conn.createConfirmChannel();
    const confirmed: string[] = [];
    for (const [i, a] of alerts.entries()) {
      if (during) await during(i);
      await new Promise<void>((resolve, reject) =>
        ch.publish("alerts", a.key, alert(a.id, a.severity), { persistent: true, contentType: "application/json" }, (err) => (err ? reject(err) : resolve())),
      );
      confirmed.push(a.id);
    }
    await conn.close();
    return confirmed;
  }

  /** Waits until every channel has received every id expected of it (at least once). */
  async function untilDelivered(want: Record<string, string[]>, timeoutMs = 120_000): Promise<Record<string, string[]>> {
    const deadline = Date.now() + timeoutMs;
    let got: Record<string, string[]> = {};
    while (Date.now() < deadline) {
      got = await delivered();
      if (Object.entries(want).every(([c, ids]) => ids.every((id) => (got[c] ?? []).includes(id)))) return got;
      await sleep(500);
    }
    const missing = Object.fromEntries(Object.entries(want).map(([c, ids]) => [c, ids.filter((id) => !(got[c] ?? []).includes(id))]));
    // Where the missing ones are: queue depths as the broker sees them.
    const auth = "Basic " + Buffer.from(`warren-admin:${outputs.adminPassword.value}`).toString("base64");
    const queues = (await (await fetch(`${outputs.managementUrl.value}/api/queues/alerting?columns=name,messages,messages_unacknowledged,consumers,leader`, { headers: { authorization: auth } })).json()) as unknown[];
    throw new Error(
      `not every alert was delivered in time; missing per channel: ${JSON.stringify(Object.fromEntries(Object.entries(missing).map(([c, ids]) => [c, ids.length])))}` +
        `\nmissing ids: ${JSON.stringify(missing)}\nqueues: ${JSON.stringify(queues)}`,
    );
  }

  before(async () => {
    sh("bash", [path.join(PROJECT_DIR, "scripts", "docker.sh"), "ensure"]);
    sh("bash", [path.join(PROJECT_DIR, "scripts", "images", "build.sh"), "rabbitmq", "dispatcher", "sink"]);
    const dev = readStackConfig({ file: path.join(PROJECT_DIR, "Pulumi.dev.yaml") });
    const sinkPort = await freePort();
    config = {
      ...dev,
      "warren:docker": { network: NETWORK, managementPort: await freeRange(3), amqpPort: await freeRange(3), sink: { port: sinkPort } },
    };
    project = await testProject();
    stack = await project.stack("e2e", config);
  });

  after(async () => {
    try {
      await stack?.destroy().catch(() => {});
    } finally {
      project?.dispose();
      // Whatever the stack did not remove (a failed run): by name, this run's only.
      const leftovers = docker("ps", "-aq", "--filter", `name=${NETWORK}`).split("\n").filter(Boolean);
      if (leftovers.length) docker("rm", "-f", ...leftovers);
      for (const v of docker("volume", "ls", "-q", "--filter", `name=${NETWORK}`).split("\n").filter(Boolean)) docker("volume", "rm", "-f", v);
      if (docker("network", "ls", "-q", "--filter", `name=${NETWORK}`)) docker("network", "rm", NETWORK);
    }
  });

  it("brings up 3 running nodes with data and logs in the relocated folders", async (t) => {
    const t0 = performance.now();
    const r = await stack.up();
    t.diagnostic(`up in ${Math.round((performance.now() - t0) / 1000)} s`);
    outputs = r.outputs;
    sinkUrl = outputs.sinkUrl.value;
    const creds = outputs.credentials.value as Record<string, string>;
    amqpUrl = `amqp://alerts-producer:${encodeURIComponent(creds["alerts-producer"])}@${outputs.amqpEndpoint.value}/alerting`;
    const auth = "Basic " + Buffer.from(`warren-admin:${outputs.adminPassword.value}`).toString("base64");
    const nodes = (await (await fetch(`${outputs.managementUrl.value}/api/nodes`, { headers: { authorization: auth } })).json()) as { name: string; running: boolean }[];
    assert.deepEqual(nodes.map((n) => `${n.name}:${n.running}`).sort(), [1, 2, 3].map((i) => `rabbit@${NETWORK}-rabbit-${i}:true`));
    for (const i of [1, 2, 3]) {
      const node = `rabbit@${NETWORK}-rabbit-${i}`;
      assert.match(docker("exec", `${NETWORK}-rabbit-${i}`, "ls", "/data/rabbitmq/mnesia"), new RegExp(`^${node}$`, "m"));
      assert.match(docker("exec", `${NETWORK}-rabbit-${i}`, "ls", "/data/rabbitmq/log"), new RegExp(`^${node}\\.log$`, "m"));
      const mounts = JSON.parse(docker("inspect", "--format", "{{json .Mounts}}", `${NETWORK}-rabbit-${i}`)) as { Name: string; Destination: string }[];
      // (The image's own anonymous volume for the rabbitmq user's home is not one of ours.)
      assert.deepEqual(mounts.filter((m) => m.Destination.startsWith("/data/")).map((m) => `${m.Name}:${m.Destination}`).sort(), [
        `${NETWORK}-rabbit-${i}-data:/data/rabbitmq/mnesia`,
        `${NETWORK}-rabbit-${i}-logs:/data/rabbitmq/log`,
      ]);
    }
  });

  it("delivers every severity x channel to the sinks exactly as warren routes says", async () => {
    const spec = loadWarrenSpec(config);
    const table = new RoutingTable(spec.topology);
    const alerts = SEVERITIES.flatMap((s) => ["all", ...CHANNELS].map((c) => ({ id: `m-${s}-${c}`, key: `${s}.${c}`, severity: s })));
    await publish(alerts);
    const want: Record<string, string[]> = Object.fromEntries(CHANNELS.map((c) => [c, []]));
    for (const a of alerts)
      for (const q of table.route({ vhost: "alerting", exchange: "alerts", routingKey: a.key }))
        if (q.startsWith("alerts.") && CHANNELS.includes(q.slice(7))) want[q.slice(7)].push(a.id);
    await untilDelivered(want);
    await sleep(2000); // anything extra would have arrived by now
    const got = await delivered();
    for (const c of CHANNELS) assert.deepEqual([...(got[c] ?? [])].sort(), [...want[c]].sort(), c);
  });

  it("loses no confirmed alert while a node stops, a dispatcher is killed, and the sink fails for a while", async (t) => {
    await fetch(`${sinkUrl}/control/reset`, { method: "POST" });
    const alerts = Array.from({ length: 150 }, (_, i) => ({ id: `f-${i}`, key: "critical.all", severity: "critical" }));
    const confirmed = await publish(alerts, async (i) => {
      if (i === 20) docker("stop", "-t", "30", `${NETWORK}-rabbit-2`);
      if (i === 60) docker("kill", `${NETWORK}-dispatcher-email-1`);
      if (i === 80) await fetch(`${sinkUrl}/control/fail?count=15`, { method: "POST" });
      if (i === 100) docker("start", `${NETWORK}-rabbit-2`);
      if (i === 110) docker("start", `${NETWORK}-dispatcher-email-1`);
      if (i % 10 === 0) await sleep(100);
    });
    assert.equal(confirmed.length, 150);
    const got = await untilDelivered(Object.fromEntries(CHANNELS.map((c) => [c, confirmed])), 180_000);
    for (const c of CHANNELS) {
      const ids = got[c] ?? [];
      t.diagnostic(`${c}: ${new Set(ids).size} distinct of ${confirmed.length} confirmed, ${ids.length - new Set(ids).size} redelivered`);
      assert.equal(confirmed.filter((id) => !ids.includes(id)).length, 0, c);
    }
  });

  it("previews no changes after up", async () => {
    await stack.preview({ expectNoChanges: true });
  });

  it("previews exactly a new dispatcher replica, and applies it", async () => {
    const consumers = structuredClone(config["warren:consumers"]) as { channels: Record<string, { replicas?: number }> };
    consumers.channels.wecom.replicas = 2;
    config = { ...config, "warren:consumers": consumers };
    await project.setConfig(stack, config);
    const creates: string[] = [];
    await stack.preview({
      onEvent: (e) => {
        const m = e.resourcePreEvent?.metadata;
        if (m && m.op === "create") creates.push(`${m.type} ${m.urn.split("::").pop()}`);
        if (m && !["same", "create"].includes(m.op) && !m.type.startsWith("pulumi:")) creates.push(`${m.op}! ${m.urn}`);
      },
    });
    assert.deepEqual(creates, ["docker:index/container:Container dispatchers-wecom-2"]);
    await stack.up();
    assert.match(docker("ps", "--format", "{{.Names}}", "--filter", `name=${NETWORK}-dispatcher-wecom-2`), new RegExp(`${NETWORK}-dispatcher-wecom-2`));
  });

  it("passes the policy pack's dev rules", async () => {
    const r = await stack.preview({ policyPacks: [path.join(PROJECT_DIR, "policies")], policyPackConfigs: [path.join(PROJECT_DIR, "policies", "dev.json")] });
    assert.doesNotMatch(r.stdout, /\[mandatory\]/);
  });

  it("removes every container, network and volume on destroy", async () => {
    await stack.destroy();
    assert.equal(docker("ps", "-aq", "--filter", `name=${NETWORK}`), "");
    assert.equal(docker("volume", "ls", "-q", "--filter", `name=${NETWORK}`), "");
    assert.equal(docker("network", "ls", "-q", "--filter", `name=${NETWORK}`), "");
  });
});
