// The pure decision logic: what happens to a delivery given its attempts and outcome, the
// attempt header, the headers of republished copies, and reconnect backoff.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { inspect } from "node:util";
import fc from "fast-check";
import { backoffMs } from "../../../apps/dispatcher/src/backoff";
import {
  type Outcome,
  attemptsFrom,
  decide,
  parkUnroutableRetry,
  republishHeaders,
} from "../../../apps/dispatcher/src/decide";

const policy = { channel: "sms", delays: ["5s", "30s", "5m"], maxAttempts: 4 };
const transient: Outcome = { kind: "transient", reason: "sms gateway: HTTP 503" };

describe("delivery decisions", () => {
  it("acks a delivered alert whatever its attempt", () => {
    for (const before of [0, 1, 3, 10])
      assert.deepEqual(decide(policy, before, { kind: "delivered" }), { kind: "ack" });
  });

  it("retries transient failures through each delay in turn, then parks after the last attempt", () => {
    assert.deepEqual(decide(policy, 0, transient), {
      kind: "retry",
      routingKey: "sms.5s",
      delay: "5s",
      attempts: 1,
      reason: "sms gateway: HTTP 503",
    });
    assert.deepEqual(decide(policy, 1, transient), {
      kind: "retry",
      routingKey: "sms.30s",
      delay: "30s",
      attempts: 2,
      reason: "sms gateway: HTTP 503",
    });
    assert.deepEqual(decide(policy, 2, transient), {
      kind: "retry",
      routingKey: "sms.5m",
      delay: "5m",
      attempts: 3,
      reason: "sms gateway: HTTP 503",
    });
    assert.deepEqual(decide(policy, 3, transient), {
      kind: "park",
      routingKey: "sms",
      outcome: "exhausted",
      attempts: 4,
      reason: "gave up after 4 attempts: sms gateway: HTTP 503",
    });
  });

  it("repeats the last delay when more attempts are allowed than there are delays", () => {
    const long = { ...policy, maxAttempts: 6 };
    assert.deepEqual(
      [3, 4]
        .map((b) => decide(long, b, transient))
        .map((a) => (a.kind === "retry" ? a.routingKey : a.kind)),
      ["sms.5m", "sms.5m"],
    );
    assert.equal(decide(long, 5, transient).kind, "park");
  });

  it("parks a permanent failure at once, counting the attempt", () => {
    assert.deepEqual(
      decide(policy, 0, { kind: "permanent", reason: "sms gateway: HTTP 400 bad number" }),
      {
        kind: "park",
        routingKey: "sms",
        outcome: "permanent",
        attempts: 1,
        reason: "sms gateway: HTTP 400 bad number",
      },
    );
  });

  it("parks an invalid message at once, with the attempts made before", () => {
    assert.deepEqual(
      decide(policy, 0, { kind: "invalid", reason: "invalid alert: id: Required" }),
      {
        kind: "park",
        routingKey: "sms",
        outcome: "invalid",
        attempts: 0,
        reason: "invalid alert: id: Required",
      },
    );
  });

  it("parks on the first transient failure when there are no retry delays", () => {
    assert.deepEqual(decide({ channel: "phone", delays: [], maxAttempts: 1 }, 0, transient), {
      kind: "park",
      routingKey: "phone",
      outcome: "exhausted",
      attempts: 1,
      reason: "gave up after 1 attempt: sms gateway: HTTP 503",
    });
  });

  it("parks instead of retrying when the retry key has no queue", () => {
    const retry = decide(policy, 1, transient);
    assert.equal(retry.kind, "retry");
    if (retry.kind !== "retry") return;
    assert.deepEqual(parkUnroutableRetry(policy, retry, "alerts.retry"), {
      kind: "park",
      routingKey: "sms",
      outcome: "unroutable-retry",
      attempts: 2,
      reason:
        "exchange alerts.retry has no queue for routing key sms.30s (after: sms gateway: HTTP 503)",
    });
  });

  it("never makes more than maxAttempts attempts, and parks exactly once per alert (property)", () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.constantFrom("5s", "30s", "5m", "1h", "250ms"), { minLength: 1, maxLength: 5 })
          .map((d) => [...new Set(d)]),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.constantFrom<Outcome["kind"]>("delivered", "transient", "permanent"), {
          minLength: 1,
          maxLength: 20,
        }),
        (delays, maxAttempts, outcomes) => {
          const p = { channel: "wecom", delays, maxAttempts };
          let before = 0;
          for (const kind of outcomes) {
            const outcome: Outcome = kind === "delivered" ? { kind } : { kind, reason: "r" };
            const a = decide(p, before, outcome);
            if (a.kind === "ack") return kind === "delivered";
            if (a.kind === "park")
              return (
                a.attempts === before + 1 && (kind === "permanent" || a.attempts === maxAttempts)
              );
            if (
              a.attempts > maxAttempts - 1 ||
              !delays.includes(a.delay) ||
              a.routingKey !== `wecom.${a.delay}`
            )
              return false;
            before = a.attempts;
          }
          return before < maxAttempts;
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("the attempt header", () => {
  it("counts no attempts when absent and reads numbers and digit strings", () => {
    assert.deepEqual(attemptsFrom(undefined), { attempts: 0, malformed: false });
    assert.deepEqual(attemptsFrom({ other: 1 }), { attempts: 0, malformed: false });
    assert.deepEqual(attemptsFrom({ "x-warren-attempt": 2 }), { attempts: 2, malformed: false });
    assert.deepEqual(attemptsFrom({ "x-warren-attempt": "3" }), { attempts: 3, malformed: false });
    assert.deepEqual(attemptsFrom({ "x-warren-attempt": 4n }), { attempts: 4, malformed: false });
  });

  it("treats a malformed header as no attempts, so it cannot wedge a message", () => {
    for (const v of [-1, 1.5, "two", null, { n: 1 }, Number.NaN])
      assert.deepEqual(
        attemptsFrom({ "x-warren-attempt": v }),
        { attempts: 0, malformed: true },
        inspect(v),
      );
  });
});

describe("headers of republished copies", () => {
  const original = {
    "x-trace-id": "abc",
    "x-warren-attempt": 1,
    "x-delivery-count": 2,
    "x-death": [{ count: 1, queue: "alerts.retry.5s" }],
    "x-first-death-queue": "alerts.retry.5s",
    "x-first-death-reason": "expired",
    "x-first-death-exchange": "alerts.retry",
    "x-last-death-queue": "alerts.retry.5s",
    "x-last-death-reason": "expired",
    "x-last-death-exchange": "alerts.retry",
  };

  it("keeps the producer's headers, drops the broker's bookkeeping (dead-lettering, delivery count) and sets the attempt on a retry", () => {
    const retry = decide(policy, 1, transient);
    assert.equal(retry.kind, "retry");
    if (retry.kind !== "retry") return;
    assert.deepEqual(republishHeaders(original, retry), {
      "x-trace-id": "abc",
      "x-warren-attempt": 2,
      "x-warren-reason": "sms gateway: HTTP 503",
    });
  });

  it("puts reason, attempts and outcome on a parked copy and drops the attempt counter for replays", () => {
    const park = decide(policy, 3, transient);
    assert.equal(park.kind, "park");
    if (park.kind !== "park") return;
    assert.deepEqual(republishHeaders(original, park), {
      "x-trace-id": "abc",
      "x-warren-reason": "gave up after 4 attempts: sms gateway: HTTP 503",
      "x-warren-attempts": 4,
      "x-warren-outcome": "exhausted",
    });
  });

  it("cuts reasons to 1000 characters", () => {
    const park = decide(policy, 0, { kind: "permanent", reason: "x".repeat(5000) });
    if (park.kind !== "park") return assert.fail("expected a park");
    const reason = republishHeaders(undefined, park)["x-warren-reason"] as string;
    assert.equal(reason, "x".repeat(999) + "…");
  });
});

describe("reconnect backoff", () => {
  it("doubles from the floor up to the ceiling, between half and all of each step", () => {
    const lo = [0, 1, 2, 3, 10].map((n) => backoffMs(n, 500, 30_000, () => 0));
    const hi = [0, 1, 2, 3, 10].map((n) => backoffMs(n, 500, 30_000, () => 0.999999));
    assert.deepEqual(lo, [250, 500, 1000, 2000, 15_000]);
    assert.deepEqual(hi, [500, 1000, 2000, 4000, 30_000]);
  });

  it("stays capped for very large attempt counts", () => {
    assert.equal(
      backoffMs(5000, 500, 30_000, () => 0.999999),
      30_000,
    );
  });
});
