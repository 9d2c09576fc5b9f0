// The program under mocks with a prod stack: its own sizes and delays reach the broker objects.
import assert from "node:assert/strict";
import * as path from "path";
import { describe, it } from "node:test";
import { PROJECT_DIR, runProgram } from "../support/program";

describe("the program with a prod stack", async () => {
  const { run } = await runProgram(path.join(PROJECT_DIR, "tests", "fixtures", "prod.yaml"), {
    stack: "prod",
  });
  const policy = (name: string) => run.named("rabbitmq:index/policy:Policy", name).inputs.policy;

  it("applies per-channel lengths and the prod retry delays", () => {
    assert.equal(policy("alerts.phone-limits").definition["max-length"], "5000");
    assert.equal(policy("alerts.email-limits").definition["max-length"], "100000");
    assert.deepEqual(
      run
        .ofType("rabbitmq:index/queue:Queue")
        .map((q) => q.inputs.name)
        .filter((n: string) => n.startsWith("alerts.retry."))
        .sort(),
      ["alerts.retry.10m", "alerts.retry.10s", "alerts.retry.1h", "alerts.retry.1m"],
    );
    assert.equal(policy("alerts.retry.1h-delay").definition["message-ttl"], "3600000");
  });

  it("makes every alert queue a durable quorum queue", () => {
    for (const q of run.ofType("rabbitmq:index/queue:Queue")) {
      assert.equal(q.inputs.settings.durable, true, q.inputs.name);
      assert.equal(
        (JSON.parse(q.inputs.settings.argumentsJson) as Record<string, unknown>)["x-queue-type"],
        "quorum",
        q.inputs.name,
      );
    }
  });

  it("declares the operator policy cap", () => {
    const op = run.named("rabbitmq:index/operatorPolicy:OperatorPolicy", "cap-everything").inputs
      .policy;
    assert.deepEqual(op, {
      pattern: ".*",
      priority: 0,
      applyTo: "queues",
      definition: { "max-length-bytes": "1073741824" },
    });
  });
});
