// The real engine against a real RabbitMQ: `pulumi up`, preview, refresh and destroy of the full
// alerting topology, checked on the broker through its management API and over AMQP.
// Long and kept whole: the cases share one project, stack and broker state, in order (up, then
// changes, refresh, destroy), and splitting them would mean a second engine run of ~1 minute.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { OutputMap, Stack } from "@pulumi/pulumi/automation";
import { loadWarrenSpec } from "../../components/config/spec";
import { planTopology } from "../../components/topology/plan";
import { RoutingTable } from "../../components/topology/routing";
import { channelRefusal, drain, publishConfirmed, refusal } from "../support/amqp";
import { type Broker, ensureBroker } from "../support/broker";
import { type TestProject, testProject } from "../support/engine";
import { freePorts } from "../support/processes";

const SEVERITIES = ["info", "warning", "error", "critical"];
const CHANNELS = ["wechat", "wecom", "dingtalk", "email", "sms", "phone"];

/** The stack's plain config; the admin password is set as a secret separately. */
function stackConfig(broker: Broker, change = false): Record<string, unknown> {
  return {
    "warren:environment": "dev",
    "warren:broker": { managementUrl: broker.managementUrl, username: broker.adminUser },
    "warren:alerting": change
      ? {
          channels: [
            ...CHANNELS.map((name) => ({
              name,
              minSeverity: { email: "info", sms: "error", phone: "critical" }[name] ?? "warning",
              ...(name === "email" ? { maxLength: 50000 } : {}),
            })),
            { name: "pager", minSeverity: "critical" },
          ],
        }
      : {},
    "warren:topology": {
      vhosts: [{ name: "audit", description: "audit trail", limits: { maxQueues: 20 } }],
      users: [{ name: "auditor", tags: ["management"] }],
      permissions: [
        {
          user: "auditor",
          vhost: "audit",
          configure: "^$",
          write: "^audit$",
          read: "^audit\\.log$",
        },
      ],
      exchanges: [{ name: "audit", vhost: "audit", type: "fanout" }],
      queues: [
        {
          name: "audit.log",
          vhost: "audit",
          type: change ? "classic" : "quorum",
          arguments: { "x-max-length": 5000 },
        },
      ],
      bindings: [{ vhost: "audit", source: "audit", destination: "audit.log" }],
      policies: [
        {
          name: "audit-ttl",
          vhost: "audit",
          pattern: "^audit\\.log$",
          applyTo: "queues",
          definition: { "message-ttl": 86400000 },
        },
      ],
      operatorPolicies: [
        {
          name: "audit-cap",
          vhost: "audit",
          pattern: ".*",
          applyTo: "queues",
          definition: { "max-length-bytes": 104857600 },
        },
      ],
    },
  };
}

/** What the broker holds, outside the admin's own "/" vhost and user. */
async function snapshot(b: Broker) {
  const get = <T>(p: string) => b.mgmtJson<T[]>(p);
  type Named = { name: string; vhost: string };
  const vhosts = (await get<{ name: string }>("/api/vhosts"))
    .map((v) => v.name)
    .filter((v) => v !== "/")
    .sort();
  const inVhosts = async <T extends { vhost: string }>(kind: string) =>
    (await Promise.all(vhosts.map((v) => get<T>(`/api/${kind}/${encodeURIComponent(v)}`)))).flat();
  return {
    vhosts,
    users: (await get<{ name: string; tags: string | string[] }>("/api/users"))
      .filter((u) => u.name !== b.adminUser)
      .map((u) => `${u.name}[${[u.tags].flat().join(",")}]`)
      .sort(),
    permissions: (
      await get<{ user: string; vhost: string; configure: string; write: string; read: string }>(
        "/api/permissions",
      )
    )
      .filter((p) => p.user !== b.adminUser)
      .map((p) => `${p.user}@${p.vhost} ${p.configure} ${p.write} ${p.read}`)
      .sort(),
    topicPermissions: (
      await get<{ user: string; vhost: string; exchange: string; write: string; read: string }>(
        "/api/topic-permissions",
      )
    )
      .map((p) => `${p.user}@${p.vhost}/${p.exchange} ${p.write} ${p.read}`)
      .sort(),
    exchanges: (
      await inVhosts<Named & { type: string; durable: boolean; arguments: object }>("exchanges")
    )
      .filter((x) => x.name !== "" && !x.name.startsWith("amq."))
      .map(
        (x) => `${x.vhost}/${x.name} ${x.type} durable=${x.durable} ${JSON.stringify(x.arguments)}`,
      )
      .sort(),
    queues: (
      await inVhosts<Named & { type: string; durable: boolean; arguments: object }>("queues")
    )
      .map(
        (q) => `${q.vhost}/${q.name} ${q.type} durable=${q.durable} ${JSON.stringify(q.arguments)}`,
      )
      .sort(),
    bindings: (
      await inVhosts<{
        vhost: string;
        source: string;
        destination: string;
        destination_type: string;
        routing_key: string;
      }>("bindings")
    )
      .filter((x) => x.source !== "")
      .map((x) => `${x.vhost}/${x.source}>${x.destination_type}:${x.destination}[${x.routing_key}]`)
      .sort(),
    policies: (await inVhosts<Named & { definition: object }>("policies"))
      .map((p) => `${p.vhost}/${p.name} ${JSON.stringify(p.definition)}`)
      .sort(),
  };
}

/** The same view of the broker, computed from the config alone. */
function expected(config: Record<string, unknown>) {
  const spec = loadWarrenSpec({
    ...config,
    "warren:broker": { ...(config["warren:broker"] as object), password: "x" },
  });
  const t = spec.topology;
  const plan = planTopology(t, { environment: "dev" });
  return {
    vhosts: t.vhosts.map((v) => v.name).sort(),
    users: t.users.map((u) => `${u.name}[${u.tags.join(",")}]`).sort(),
    permissions: t.permissions
      .map((p) => `${p.user}@${p.vhost} ${p.configure} ${p.write} ${p.read}`)
      .sort(),
    topicPermissions: t.topicPermissions
      .map((p) => `${p.user}@${p.vhost}/${p.exchange} ${p.write} ${p.read}`)
      .sort(),
    exchanges: Object.values(plan.vhosts)
      .flatMap((v) => Object.values(v.exchanges))
      .map(
        (x) =>
          `${x.vhost}/${x.name} ${x.settings.type} durable=true ${JSON.stringify(x.settings.arguments)}`,
      )
      .sort(),
    queues: t.queues
      .map(
        (q) =>
          `${q.vhost}/${q.name} ${q.type} durable=true ${JSON.stringify(sortKeys({ ...q.arguments, "x-queue-type": q.type }))}`,
      )
      .sort(),
    bindings: t.bindings
      .map((x) => `${x.vhost}/${x.source}>${x.destinationType}:${x.destination}[${x.routingKey}]`)
      .sort(),
    policies: t.policies
      .map((p) => `${p.vhost}/${p.name} ${JSON.stringify(sortKeys(p.definition))}`)
      .sort(),
  };
}

/** Every file's text below `dir`, concatenated. */
function readTree(dir: string): string {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => fs.readFileSync(path.join(e.parentPath ?? e.path, e.name), "utf8"))
    .join("\n");
}

const sortKeys = (o: Record<string, unknown>) =>
  Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => [k, o[k]]),
  );

// One broker for the file; each describe makes its own project and stacks.
let broker: Broker;
before(async () => {
  broker = await ensureBroker();
});
after(async () => {
  await broker?.stop();
});

describe(
  "pulumi up/preview/refresh/destroy against a real broker",
  { timeout: 15 * 60_000 },
  () => {
    let project: TestProject;
    let stack: Stack;
    let before_: Awaited<ReturnType<typeof snapshot>>;
    let outputs: OutputMap;
    const amqpPort = () => new URL(broker.amqpUrl()).port;
    const creds = () => outputs.credentials.value as Record<string, string>;
    const as = (user: string, vhost = "alerting") => broker.amqpUrl(user, creds()[user], vhost);

    before(async () => {
      project = await testProject();
      before_ = await snapshot(broker);
      stack = await project.stack("itest", stackConfig(broker), {
        "warren:broker.password": broker.adminPassword,
      });
    });
    after(async () => {
      try {
        await stack?.destroy().catch(() => {});
      } finally {
        project?.dispose();
      }
    });

    it("creates exactly the declared topology", async () => {
      const r = await stack.up();
      assert.equal(r.summary.result, "succeeded");
      outputs = r.outputs;
      assert.deepEqual(await snapshot(broker), expected(stackConfig(broker)));
      const audit = await broker.mgmtJson<{ description: string }>("/api/vhosts/audit");
      assert.equal(audit.description, "audit trail");
      assert.deepEqual(await broker.mgmtJson("/api/vhost-limits/audit"), [
        { vhost: "audit", value: { "max-queues": 20 } },
      ]);
    });

    it("delivers every severity to exactly the channels warren routes says", async () => {
      const spec = loadWarrenSpec({
        ...stackConfig(broker),
        "warren:broker": { managementUrl: broker.managementUrl, username: "x", password: "x" },
      });
      const table = new RoutingTable(spec.topology);
      const messages = SEVERITIES.flatMap((s) =>
        ["all", ...CHANNELS, "nobody"].map((c) => ({ routingKey: `${s}.${c}`, body: `${s}.${c}` })),
      );
      // "nobody" is outside the producer's topic permission: published separately below.
      const allowed = messages.filter((m) => !m.routingKey.endsWith(".nobody"));
      await publishConfirmed(as("alerts-producer"), "alerts", allowed);
      const received = new Map<string, string[]>();
      for (const c of CHANNELS)
        received.set(
          `alerts.${c}`,
          (await drain(as(`alerts-consumer-${c}`), `alerts.${c}`)).sort(),
        );
      received.set(
        "alerts.unrouted",
        (await drain(broker.amqpUrl(undefined, undefined, "alerting"), "alerts.unrouted")).sort(),
      );
      const want = new Map<string, string[]>([...received.keys()].map((q) => [q, []]));
      for (const m of allowed)
        for (const q of table.route({
          vhost: "alerting",
          exchange: "alerts",
          routingKey: m.routingKey,
        }))
          want.get(q)!.push(m.body);
      for (const list of want.values()) list.sort();
      assert.deepEqual(received, want);
      assert.ok(
        want.get("alerts.unrouted")!.includes("info.phone"),
        "an addressed alert below the channel's minimum is kept as unrouted",
      );
    });

    it("refuses consumers another channel's queue, the producer other keys, and guest", async () => {
      assert.match(
        await refusal(() => drain(as("alerts-consumer-sms"), "alerts.phone")),
        /ACCESS_REFUSED|403/,
      );
      assert.match(
        await channelRefusal(as("alerts-producer"), (ch) =>
          ch.publish("alerts", "fatal.all", Buffer.from("x")),
        ),
        /ACCESS_REFUSED - access to topic 'fatal.all' in exchange 'alerts' in vhost 'alerting' refused for user 'alerts-producer'/,
      );
      assert.match(
        await refusal(() => drain(as("alerts-producer"), "alerts.sms")),
        /ACCESS_REFUSED|403/,
      );
      assert.match(
        await refusal(() =>
          drain(`amqp://guest:guest@127.0.0.1:${amqpPort()}/alerting`, "alerts.sms"),
        ),
        /ACCESS_REFUSED|403|refused/i,
      );
    });

    it("previews no changes on a second run", async () => {
      const r = await stack.preview({ expectNoChanges: true });
      assert.deepEqual(
        Object.keys(r.changeSummary).filter((k) => k !== "same"),
        [],
      );
    });

    it("keeps generated and admin passwords out of the exported state", () => {
      // What `pulumi stack export` shows and what the backend stores on disk.
      const exported = project.cli(["stack", "export", "--stack", stack.name]);
      assert.equal(exported.code, 0, exported.stderr);
      const state = exported.stdout + readTree(path.join(project.dir, ".state"));
      const secrets = [broker.adminPassword, ...Object.values(creds())];
      assert.equal(secrets.length, 1 + 9);
      assert.ok(state.includes('"ciphertext"'), "the state has no encrypted values at all");
      for (const s of secrets) {
        const at = state.indexOf(s);
        // On failure, say where (with the password itself masked).
        assert.equal(
          at,
          -1,
          `a password is in the state in plaintext: ...${state.slice(Math.max(0, at - 300), at).replace(s, "***")}***`,
        );
      }
    });

    it("previews and applies a change: a channel added, a policy updated, a queue type replaced", async () => {
      await publishConfirmed(as("alerts-producer"), "alerts", [
        { routingKey: "info.email", body: "kept" },
      ]);
      project.setConfig(stack, stackConfig(broker, true));
      const ops = new Map<string, string[]>();
      const r = await stack.preview({
        diff: true,
        onEvent: (e) => {
          const m = e.resourcePreEvent?.metadata;
          if (m && m.op !== "same" && m.type !== "pulumi:pulumi:Stack")
            ops.set(m.op, [
              ...(ops.get(m.op) ?? []),
              `${m.urn.split("::").pop()!}${m.type.startsWith("pulumi:providers:") ? ` (${m.type})` : ""}`,
            ]);
        },
      });
      // One update per vhost that changes, and one for the users and grants; the diff names
      // each object, and calls out the queue that is deleted and declared again.
      assert.match(
        r.stdout,
        /queue audit\.log in vhost audit: x-queue-type \\"quorum\\" → \\"classic\\"; deleted and declared again, its messages are lost/,
      );
      for (const name of ["alerts.pager", "alerts.parked.pager", "alerts.email-limits"])
        assert.ok(r.stdout.includes(name), `the preview does not name ${name}`);
      const sorted = (op: string) => (ops.get(op) ?? []).sort();
      assert.deepEqual(
        sorted("update").filter((u) => !u.includes("(pulumi:providers:")),
        ["warren:access", "warren:vhost:alerting", "warren:vhost:audit"],
      );
      assert.equal(ops.get("replace"), undefined);
      assert.equal(ops.get("create"), undefined);
      assert.equal(ops.get("delete"), undefined);

      const up = await stack.up();
      assert.equal(up.summary.result, "succeeded");
      outputs = up.outputs;
      assert.deepEqual(await snapshot(broker), expected(stackConfig(broker, true)));
      // The replaced queue is bound again; the queue whose policy changed kept its message.
      await publishConfirmed(broker.amqpUrl(undefined, undefined, "audit"), "audit", [
        { routingKey: "", body: "after" },
      ]);
      assert.deepEqual(await drain(broker.amqpUrl(undefined, undefined, "audit"), "audit.log"), [
        "after",
      ]);
      assert.deepEqual(await drain(as("alerts-consumer-email"), "alerts.email"), ["kept"]);
    });

    it("brings back a binding deleted out of band after refresh", async () => {
      const bindings = await broker.mgmtJson<{ routing_key: string; properties_key: string }[]>(
        "/api/bindings/alerting/e/alerts/q/alerts.sms",
      );
      const target = bindings.find((b) => b.routing_key === "critical.all")!;
      const del = await broker.mgmt(
        `/api/bindings/alerting/e/alerts/q/alerts.sms/${encodeURIComponent(target.properties_key)}`,
        { method: "DELETE" },
      );
      assert.equal(del.status, 204);
      await stack.refresh();
      // The refresh drops the binding from the vhost's resource; the up declares it again, as an
      // update of that one resource.
      const r = await stack.up();
      assert.deepEqual(
        Object.entries(r.summary.resourceChanges ?? {}).filter(([k]) => k !== "same"),
        [["update", 1]],
        r.stdout,
      );
      const now = await broker.mgmtJson<{ routing_key: string }[]>(
        "/api/bindings/alerting/e/alerts/q/alerts.sms",
      );
      assert.ok(now.some((b) => b.routing_key === "critical.all"));
    });

    it("leaves the broker as it was after destroy", async () => {
      const r = await stack.destroy();
      assert.equal(r.summary.result, "succeeded");
      assert.deepEqual(await snapshot(broker), before_);
    });
  },
);

describe("bad input through the real engine", { timeout: 5 * 60_000 }, () => {
  let project: TestProject;
  before(async () => {
    project = await testProject();
  });
  after(() => project?.dispose());

  it("fails preview with every path-addressed error and creates nothing", async () => {
    const config = stackConfig(broker);
    const topology = config["warren:topology"] as {
      queues: Record<string, unknown>[];
      bindings: Record<string, unknown>[];
    };
    topology.queues[0].type = "quorom";
    topology.bindings[0].source = "audt";
    const stack = await project.stack("invalid", config, {
      "warren:broker.password": broker.adminPassword,
    });
    const before_ = await snapshot(broker);
    const message = await refusal(() => stack.preview());
    assert.match(
      message,
      /warren:topology\.queues\[0\]\.type: must be one of "classic", "quorum", "stream", got "quorom" \(did you mean "quorum"\?\)/,
    );
    assert.doesNotMatch(message, / {4}at /, "a stack trace reached the user");
    const up = await refusal(() => stack.up());
    assert.match(up, /invalid warren configuration/);
    assert.deepEqual(await snapshot(broker), before_);
  });

  it("names the management URL when the broker cannot be reached", async () => {
    const [port] = await freePorts(1); // nothing listens there
    const config = {
      ...stackConfig(broker),
      "warren:broker": { managementUrl: `http://127.0.0.1:${port}`, username: "warren-admin" },
    };
    const stack = await project.stack("unreachable", config, {
      "warren:broker.password": "whatever",
    });
    assert.match(
      await refusal(() => stack.preview()),
      new RegExp(
        `warren:broker\\.managementUrl: cannot reach the RabbitMQ management API at http://127\\.0\\.0\\.1:${port}: ECONNREFUSED`,
      ),
    );
  });

  it("says so when the admin credentials are wrong", async () => {
    const stack = await project.stack("wrongpass", stackConfig(broker), {
      "warren:broker.password": "not-the-password",
    });
    assert.match(
      await refusal(() => stack.preview()),
      new RegExp(`the management API at ${broker.managementUrl} refused user "warren-admin"`),
    );
  });
});

describe(
  "prod: destroy keeps queues and their messages, and says which",
  { timeout: 5 * 60_000 },
  () => {
    let project: TestProject;
    before(async () => {
      project = await testProject();
    });
    after(async () => {
      project?.dispose();
      await broker.mgmt("/api/vhosts/ledger", { method: "DELETE" });
    });

    it("leaves the prod vhost and queue, with its message, after destroy", async () => {
      const config = {
        "warren:environment": "prod",
        "warren:broker": { managementUrl: broker.managementUrl, username: broker.adminUser },
        "warren:topology": {
          vhosts: [{ name: "ledger" }],
          exchanges: [{ name: "entries", vhost: "ledger", type: "fanout" }],
          queues: [
            {
              name: "entries",
              vhost: "ledger",
              type: "quorum",
              arguments: { "x-max-length": 1000 },
            },
          ],
          bindings: [{ vhost: "ledger", source: "entries", destination: "entries" }],
        },
      };
      const stack = await project.stack("prod-retain", config, {
        "warren:broker.password": broker.adminPassword,
      });
      const up = await stack.up();
      assert.deepEqual(up.outputs.retainedOnDestroy.value, ["ledger", "ledger/entries"]);
      await publishConfirmed(broker.amqpUrl(undefined, undefined, "ledger"), "entries", [
        { routingKey: "", body: "entry-1" },
      ]);
      const destroyed = await stack.destroy();
      assert.equal(destroyed.summary.result, "succeeded");
      const queues = await broker.mgmtJson<{ name: string; messages: number }[]>(
        "/api/queues/ledger?columns=name,messages",
      );
      assert.deepEqual(
        queues.map((q) => q.name),
        ["entries"],
      );
      assert.deepEqual(await drain(broker.amqpUrl(undefined, undefined, "ledger"), "entries"), [
        "entry-1",
      ]);
    });
  },
);
