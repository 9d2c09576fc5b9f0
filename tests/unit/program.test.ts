// The program (index.ts) under mocks with the committed dev stack and a prod stack.
import assert from "node:assert/strict";
import * as path from "path";
import { describe, it } from "node:test";
import { PROJECT_DIR, runProgram } from "../support/program";
import { valueOf } from "../support/mocks";

const T = { provider: "pulumi:providers:rabbitmq", queue: "rabbitmq:index/queue:Queue", user: "rabbitmq:index/user:User" };

describe("the program with the dev stack", async () => {
  // As `npm run up -- dev` does on a new machine: the admin password set as a secret.
  const { run, outputs } = await runProgram(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "dev", {
    "warren:broker.password": "test-secret-value",
  });

  it("connects the rabbitmq provider to the configured broker with the secret password", async () => {
    const [p] = run.ofType(T.provider);
    assert.equal(p.inputs.endpoint, "http://127.0.0.1:15672");
    assert.equal(p.inputs.username, "warren-admin");
    // Mocks see a secret as Pulumi's secret envelope around the value.
    assert.deepEqual(p.inputs.password, { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "test-secret-value" });
  });

  it("builds everything through the one Topology component", () => {
    assert.equal(run.ofType("warren:rabbitmq:Topology").length, 1);
    const queues = run.ofType(T.queue).map((q) => `${q.inputs.vhost}/${q.inputs.name}`).sort();
    assert.deepEqual(queues.filter((q) => q.startsWith("audit/")), ["audit/audit.log"]);
    assert.equal(queues.filter((q) => q.startsWith("alerting/")).length, 16);
  });

  it("exports the routing matrix and the alerting endpoint", async () => {
    assert.deepEqual(outputs.alertRouting.broadcast.critical, ["wechat", "wecom", "dingtalk", "email", "sms", "phone"]);
    assert.deepEqual(outputs.alertRouting.broadcast.info, ["email"]);
    assert.deepEqual(outputs.alertingEndpoint, { vhost: "alerting", exchange: "alerts", producerUser: "alerts-producer" });
    assert.deepEqual((await valueOf(outputs.users)).sort(), [
      "alerts-consumer-dingtalk", "alerts-consumer-email", "alerts-consumer-phone", "alerts-consumer-sms",
      "alerts-consumer-wechat", "alerts-consumer-wecom", "alerts-monitor", "alerts-producer", "audit-writer",
    ]);
  });

  it("exports credentials only as a secret", async () => {
    const pulumi = await import("@pulumi/pulumi");
    assert.equal(await pulumi.isSecret(outputs.credentials), true);
  });
});
