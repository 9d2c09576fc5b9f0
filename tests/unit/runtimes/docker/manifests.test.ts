// The Docker runtime's pure container settings (runtimes/docker/manifests.ts), called directly:
// ports per node, memory from the spec, staged files, secrets as uploads and never as env.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { consumersSchema } from "../../../../components/alerting/consumers-schema";
import { planConsumers } from "../../../../components/alerting/consumer-plan";
import { clusterSchema } from "../../../../components/cluster/schema";
import { loadWarrenSpec } from "../../../../components/config/spec";
import { dockerLabels } from "../../../../components/core/labels";
import { consumerContainer, nodeContainer } from "../../../../components/runtimes/docker/manifests";
import { STAGING } from "../../../../components/runtimes/docker/start";

describe("node container", () => {
  const spec = clusterSchema.parse({ resources: { limits: { memory: "1Gi" } } });
  const staged = {
    "erlang.cookie": "c",
    "definitions.json": "{}",
    "start.sh": "s",
    "watchdog.sh": "w",
  };
  const files = [{ path: "/etc/rabbitmq/rabbitmq.conf", content: "x = 1\n", mode: 0o644 }];
  const inputs = {
    host: "dev-rabbit-3",
    index: 2,
    network: "dev",
    image: "sha256:abc",
    volumes: { data: "dev-rabbit-3-data", logs: "dev-rabbit-3-logs" },
    managementPort: 15672,
    amqpPort: 5672,
    files,
    staged,
    labels: dockerLabels("rabbitmq", "warren"),
  };
  const c = nodeContainer(spec, inputs);

  it("publishes node i's ports at the base ports plus i, on loopback only", () => {
    assert.deepEqual(c.ports, [
      { internal: 15672, external: 15674, ip: "127.0.0.1" },
      { internal: 5672, external: 5674, ip: "127.0.0.1" },
    ]);
  });

  it("with TLS on, publishes the TLS listeners on those ports and stages the node's TLS files", () => {
    const tls = clusterSchema.parse({ tls: { mode: "generate" } });
    const t = nodeContainer(tls, {
      ...inputs,
      tls: { ca: "CA", cert: "CERT", key: "KEY" },
    });
    assert.deepEqual(t.ports, [
      { internal: 15671, external: 15674, ip: "127.0.0.1" },
      { internal: 5671, external: 5674, ip: "127.0.0.1" },
    ]);
    const uploads = (t.uploads as { file: string; content: string }[]).slice(-3);
    assert.deepEqual(uploads, [
      { file: `${STAGING}/tls/ca.crt`, content: "CA" },
      { file: `${STAGING}/tls/tls.crt`, content: "CERT" },
      { file: `${STAGING}/tls/tls.key`, content: "KEY" },
    ]);
  });

  it("takes its memory limit from the spec, without swap", () => {
    assert.equal(c.memory, 1024);
    assert.equal(c.memorySwap, 1024);
  });

  it("uploads the rendered files and stages the secrets and scripts for the start script", () => {
    const uploads = (c.uploads as { file: string }[]).map((u) => u.file);
    assert.deepEqual(uploads, [
      "/etc/rabbitmq/rabbitmq.conf",
      ...Object.keys(staged).map((f) => `${STAGING}/${f}`),
    ]);
    assert.deepEqual(c.entrypoints, ["sh", `${STAGING}/start.sh`]);
    assert.deepEqual(c.volumes, [
      { volumeName: "dev-rabbit-3-data", containerPath: spec.dataDir },
      { volumeName: "dev-rabbit-3-logs", containerPath: spec.logDir },
    ]);
  });
});

describe("consumer container", () => {
  const alerting = loadWarrenSpec({ "warren:environment": "dev", "warren:alerting": {} }).alerting!;
  const [plan] = planConsumers(
    consumersSchema.parse({
      channels: { wecom: { target: { webhookUrl: "https://hook.test/?key=s3cret" } } },
    }),
    alerting,
  );
  const c = consumerContainer(plan, {
    host: "dev-dispatcher-wecom-1",
    network: "dev",
    image: "sha256:def",
    files: { "amqp-url": "amqp://u:p@h/alerting", "webhook-url": "https://hook.test/?key=s3cret" },
    labels: { "app.kubernetes.io/name": "dispatcher" },
  });

  it("gets its secrets as files and none in its environment", () => {
    assert.deepEqual(
      (c.uploads as { file: string }[]).map((u) => u.file),
      ["/run/secrets/warren/amqp-url", "/run/secrets/warren/webhook-url"],
    );
    const envs = c.envs as string[];
    assert.ok(envs.includes("WARREN_WECOM_WEBHOOK_URL_FILE=/run/secrets/warren/webhook-url"));
    assert.ok(!envs.some((e) => e.includes("s3cret") || e.includes("amqp://")));
  });

  it("runs unprivileged", () => {
    assert.equal(c.user, "10001:10001");
    assert.deepEqual(c.capabilities, { drops: ["ALL"] });
    assert.deepEqual(c.labels, [{ label: "app.kubernetes.io/name", value: "dispatcher" }]);
  });
});
