// The program (index.ts) under mocks with the committed dev stack: the whole platform on Docker.
import assert from "node:assert/strict";
import * as path from "path";
import { describe, it } from "node:test";
import { PROJECT_DIR, runProgram } from "../support/program";
import { type SecretEnvelope, VHOST_OBJECTS, valueOf } from "../support/mocks";

describe("the program with the dev stack", async () => {
  const { run, outputs } = await runProgram(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), {
    stack: "dev",
  });
  const containers = run.ofType("docker:index/container:Container").map((c) => c.inputs.name);

  it("runs a 3-node cluster, a dispatcher per channel replica, and the sink, on one network", () => {
    assert.deepEqual(
      run.ofType("docker:index/network:Network").map((n) => n.inputs.name),
      ["warren-dev"],
    );
    assert.deepEqual(
      containers.filter((c) => c.includes("-rabbit-")),
      ["warren-dev-rabbit-1", "warren-dev-rabbit-2", "warren-dev-rabbit-3"],
    );
    assert.deepEqual(containers.filter((c) => c.includes("-dispatcher-")).sort(), [
      "warren-dev-dispatcher-dingtalk-1",
      "warren-dev-dispatcher-email-1",
      "warren-dev-dispatcher-phone-1",
      "warren-dev-dispatcher-phone-2",
      "warren-dev-dispatcher-sms-1",
      "warren-dev-dispatcher-sms-2",
      "warren-dev-dispatcher-wechat-1",
      "warren-dev-dispatcher-wecom-1",
    ]);
    assert.ok(containers.includes("warren-dev-sink"));
  });

  it("connects the topology to node 1's management port over https, trusting the stack's CA, as a secret", () => {
    const [v] = run.ofType(VHOST_OBJECTS);
    const connection = (v.inputs as unknown as { connection: SecretEnvelope<unknown> }).connection;
    assert.deepEqual(connection, {
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      value: {
        url: "https://127.0.0.1:15672",
        username: "warren-admin",
        password: "generated-warren-admin-password",
        ca: "mock certificate warren-tls-ca-r0",
      },
    });
  });

  it("makes a CA and a certificate per node, and stages each node's own files, its key as a secret", () => {
    assert.deepEqual(
      run.ofType("tls:index/locallySignedCert:LocallySignedCert").map((c) => c.name),
      [
        "warren-tls-warren-dev-rabbit-1-r0",
        "warren-tls-warren-dev-rabbit-2-r0",
        "warren-tls-warren-dev-rabbit-3-r0",
      ],
    );
    const node2 = run
      .ofType("docker:index/container:Container")
      .find((c) => c.inputs.name === "warren-dev-rabbit-2")!;
    // The uploads hold secrets (the cookie, the key): the whole list is sent as a secret.
    const envelope = node2.inputs.uploads as SecretEnvelope<{ file: string; content: string }[]>;
    assert.equal(envelope["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270");
    const at = (f: string) =>
      envelope.value.find((u) => u.file === `/run/warren/tls/${f}`)?.content;
    assert.equal(at("ca.crt"), "mock certificate warren-tls-ca-r0");
    assert.equal(at("tls.crt"), "mock certificate warren-tls-warren-dev-rabbit-2-r0");
    assert.equal(at("tls.key"), "mock private key warren-tls-warren-dev-rabbit-2-key-r0");
    assert.deepEqual(
      (node2.inputs.ports as { internal: number }[]).map((p) => p.internal),
      [15671, 5671],
    );
  });

  it("gives every dispatcher amqps:// URLs to every node's TLS port and the CA as a file", () => {
    const d = run
      .ofType("docker:index/container:Container")
      .find((c) => c.inputs.name === "warren-dev-dispatcher-sms-1")!;
    assert.ok(d.inputs.envs.includes("WARREN_AMQP_CA_FILE=/run/secrets/warren/amqp-ca.crt"));
    const uploads = (d.inputs.uploads as SecretEnvelope<{ file: string; content: string }[]>).value;
    const file = (f: string) =>
      uploads.find((u) => u.file === `/run/secrets/warren/${f}`)?.content ?? "";
    assert.equal(file("amqp-ca.crt"), "mock certificate warren-tls-ca-r0");
    const urls = file("amqp-url").split("\n");
    assert.deepEqual(
      urls.map((u) => u.replace(/:[^:@/]+@/, ":***@")),
      [1, 2, 3].map((i) => `amqps://alerts-consumer-sms:***@warren-dev-rabbit-${i}:5671/alerting`),
    );
  });

  it("builds the topology through the one Topology component", () => {
    assert.equal(run.ofType("warren:rabbitmq:Topology").length, 1);
    const queues = run
      .ofType(VHOST_OBJECTS)
      .flatMap((v) => Object.values(v.inputs.queues).map((q) => `${q.vhost}/${q.name}`))
      .sort();
    assert.deepEqual(
      queues.filter((q) => q.startsWith("audit/")),
      ["audit/audit.log"],
    );
    assert.equal(queues.filter((q) => q.startsWith("alerting/")).length, 16);
  });

  it("exports the routing matrix, the alerting endpoint and the sink", async () => {
    assert.deepEqual(outputs.alertRouting?.broadcast.critical, [
      "wechat",
      "wecom",
      "dingtalk",
      "email",
      "sms",
      "phone",
    ]);
    assert.deepEqual(outputs.alertRouting?.broadcast.info, ["email"]);
    assert.deepEqual(outputs.alertingEndpoint, {
      vhost: "alerting",
      exchange: "alerts",
      producerUser: "alerts-producer",
    });
    assert.equal(await valueOf(outputs.sinkUrl), "http://127.0.0.1:18080");
    assert.equal(await valueOf(outputs.amqpEndpoint), "127.0.0.1:5672");
    assert.equal(await valueOf(outputs.caCertificate), "mock certificate warren-tls-ca-r0");
  });

  it("exports credentials only as secrets", async () => {
    const pulumi = await import("@pulumi/pulumi");
    assert.equal(await pulumi.isSecret(outputs.credentials), true);
    assert.ok(outputs.adminPassword, "no adminPassword output");
    assert.equal(await pulumi.isSecret(outputs.adminPassword), true);
  });
});
