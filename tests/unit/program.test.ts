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

  it("connects the topology to node 1's management port with the generated admin password, as a secret", () => {
    const [v] = run.ofType(VHOST_OBJECTS);
    const connection = (v.inputs as unknown as { connection: SecretEnvelope<unknown> }).connection;
    assert.deepEqual(connection, {
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      value: {
        url: "http://127.0.0.1:15672",
        username: "warren-admin",
        password: "generated-warren-admin-password",
      },
    });
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
  });

  it("exports credentials only as secrets", async () => {
    const pulumi = await import("@pulumi/pulumi");
    assert.equal(await pulumi.isSecret(outputs.credentials), true);
    assert.ok(outputs.adminPassword, "no adminPassword output");
    assert.equal(await pulumi.isSecret(outputs.adminPassword), true);
  });
});
