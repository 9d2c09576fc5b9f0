// The program under mocks with a prod stack: its own sizes and delays reach the broker objects.
import assert from "node:assert/strict";
import * as path from "path";
import { describe, it } from "node:test";
import { VHOST_OBJECTS } from "../support/mocks";
import { PROJECT_DIR, runProgram } from "../support/program";

describe("the program with a prod stack", async () => {
  const { run } = await runProgram(path.join(PROJECT_DIR, "tests", "fixtures", "prod.yaml"), {
    stack: "prod",
  });
  const alerting = run.vhost("alerting");
  const policy = (name: string) => alerting.policies[name].policy;

  it("applies per-channel lengths and the prod retry delays", () => {
    assert.equal(policy("alerts.phone-limits").definition["max-length"], 5000);
    assert.equal(policy("alerts.email-limits").definition["max-length"], 100000);
    assert.deepEqual(
      Object.keys(alerting.queues)
        .filter((n) => n.startsWith("alerts.retry."))
        .sort(),
      ["alerts.retry.10m", "alerts.retry.10s", "alerts.retry.1h", "alerts.retry.1m"],
    );
    assert.equal(policy("alerts.retry.1h-delay").definition["message-ttl"], 3600000);
  });

  it("makes every alert queue a durable quorum queue", () => {
    const queues = run.ofType(VHOST_OBJECTS).flatMap((v) => Object.values(v.inputs.queues));
    assert.ok(queues.length > 0);
    for (const q of queues) {
      assert.equal(q.settings.durable, true, q.name);
      assert.equal(
        (JSON.parse(q.settings.argumentsJson) as Record<string, unknown>)["x-queue-type"],
        "quorum",
        q.name,
      );
    }
  });

  it("declares the operator policy cap", () => {
    const op = alerting.operatorPolicies["cap-everything"].policy;
    assert.deepEqual(op, {
      pattern: ".*",
      priority: 0,
      applyTo: "queues",
      definition: { "max-length-bytes": 1073741824 },
    });
  });
});
