// The producer against a real RabbitMQ: confirms, returns, node rotation, a connection closed by
// the broker mid-stream, nacks until the deadline, missing confirms, resource alarms, refusals.
// Where timing matters, a holding proxy (support/proxy.ts) decides when the client sees the
// broker's answers, so no case depends on a race.
// Long: one describe per failure the producer must survive, sharing one vhost and its helpers.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { parseAlert } from "../../../apps/dispatcher/src/schema";
import {
  AlertProducer,
  type ProducerEvent,
  type ProducerOptions,
  PublishError,
  type PublishResult,
} from "../../../apps/producer/src/producer";
import { type Broker, ensureBroker } from "../../support/broker";
import { freePorts } from "../../support/processes";
import { sleep, until } from "../../support/wait";
import { createAlertingVhost } from "../dispatcher/support/topology";
import {
  blockedFrame,
  type HoldingProxy,
  startHoldingProxy,
  unblockedFrame,
} from "./support/proxy";
import { connectionNamed, createTestVhost, type TestVhost } from "./support/vhost";

let broker: Broker;
/** Vhosts (and their users) to delete at the end. */
const vhosts: { destroy(): Promise<void> }[] = [];
const producers: AlertProducer[] = [];
const proxies: HoldingProxy[] = [];

before(async () => {
  broker = await ensureBroker();
});

after(async () => {
  // Proxies first: a producer closing through a proxy that still holds would wait for close-ok.
  for (const p of proxies) await p.close();
  for (const p of producers) await p.close({ timeoutMs: 0 }).catch(() => {});
  for (const v of vhosts) await v.destroy().catch(() => {});
  await broker?.stop();
});

async function vhost(): Promise<TestVhost> {
  const v = await createTestVhost(broker, "warren-producer-it");
  vhosts.push(v);
  return v;
}

function producer(o: ProducerOptions): AlertProducer {
  const p = new AlertProducer({ source: "producer-test", ...o });
  producers.push(p);
  return p;
}

async function proxy(): Promise<HoldingProxy> {
  const u = new URL(broker.amqpUrl());
  const p = await startHoldingProxy({ host: u.hostname, port: Number(u.port) });
  proxies.push(p);
  return p;
}

/** The vhost's admin URL through the proxy instead of straight to the broker. */
function via(p: HoldingProxy, v: TestVhost): string {
  const u = new URL(v.url);
  u.port = String(p.port);
  return u.toString();
}

const alert = (id: string, severity = "critical") => ({
  id,
  severity,
  title: `test alert ${id}`,
  labels: { n: id },
});
const rejection = async (p: Promise<unknown>): Promise<PublishError> => {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof PublishError, `expected a PublishError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected the publish to be rejected");
};

describe("AlertProducer on a real broker", () => {
  it("confirms a publish that lands persistent, with the alert id as message-id, as the dispatcher reads it", async () => {
    const v = await vhost();
    await v.exchangeWithQueue("alerts", "alerts.sms", ["critical.sms", "critical.all"]);
    const p = producer({ urls: [v.url] });
    const r = await p.publish(
      { id: "a-1", severity: "critical", title: "Disk full on db-1", body: "/var is at 99%" },
      { channel: "sms" },
    );
    assert.equal(r.id, "a-1");
    assert.equal(r.attempts, 1);
    assert.equal(r.url, v.urlWithoutPassword);
    assert.ok(!r.url.includes(broker.adminPassword));

    const [m, ...rest] = await v.take("alerts.sms");
    assert.equal(rest.length, 0);
    assert.equal(m.fields.routingKey, "critical.sms");
    assert.equal(m.properties.messageId, "a-1");
    assert.equal(m.properties.deliveryMode, 2);
    assert.equal(m.properties.contentType, "application/json");
    const parsed = parseAlert(m.content);
    assert.ok(parsed.ok, parsed.ok ? "" : parsed.reason);
    assert.deepEqual(
      { ...parsed.alert, timestamp: "" },
      {
        id: "a-1",
        severity: "critical",
        title: "Disk full on db-1",
        body: "/var is at 99%",
        source: "producer-test",
        labels: {},
        timestamp: "",
      },
    );
    assert.deepEqual(
      { ...p.stats },
      {
        published: 1,
        confirmed: 1,
        republished: 0,
        unroutable: 0,
        failed: 0,
        invalid: 0,
        connections: 1,
        inFlight: 0,
        queued: 0,
        blocked: false,
      },
    );
  });

  it("rejects unroutable alerts as unroutable without retrying, and tells them apart from routable ones in flight with them", async () => {
    const v = await vhost();
    await v.exchangeWithQueue("alerts", "alerts.sms", ["critical.sms"]);
    const p = producer({ urls: [v.url] });
    await p.connect();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 300 }, (_, i) =>
        p.publish(alert(`r-${i}`), { channel: i % 3 === 0 ? "nowhere" : "sms" }),
      ),
    );
    // All 300 were on the one channel at once: the returns had to be matched by message-id.
    outcomes.forEach((o, i) => {
      if (i % 3 === 0) {
        assert.equal(o.status, "rejected", `r-${i}`);
        const e = o.reason as PublishError;
        assert.equal(e.reason, "unroutable");
        assert.equal(e.attempts, 1);
        assert.equal(
          e.message,
          `alert "r-${i}": unroutable: exchange "alerts" has no queue for routing key "critical.nowhere" and no alternate exchange`,
        );
      } else {
        assert.equal(o.status, "fulfilled", `r-${i}`);
        assert.equal(o.value.attempts, 1);
      }
    });
    const ids = (await v.take("alerts.sms")).map((m) => m.properties.messageId as string).sort();
    assert.deepEqual(
      ids,
      Array.from({ length: 300 }, (_, i) => i)
        .filter((i) => i % 3 !== 0)
        .map((i) => `r-${i}`)
        .sort(),
    );
    assert.equal(p.stats.unroutable, 100);
    assert.equal(p.stats.confirmed, 200);
    assert.equal(p.stats.republished, 0);
  });

  it("goes to the next node when the first URL is a closed port", async () => {
    const v = await vhost();
    await v.exchangeWithQueue("alerts", "alerts.email", ["#"]);
    const [deadPort] = await freePorts(1);
    const dead = new URL(v.url);
    dead.port = String(deadPort);
    const events: ProducerEvent[] = [];
    const p = producer({
      urls: [dead.toString(), v.url],
      startIndex: 0,
      onEvent: (e) => events.push(e),
    });
    const r = await p.publish(alert("n-1", "info"));
    assert.deepEqual(r, { id: "n-1", attempts: 1, url: v.urlWithoutPassword });
    assert.deepEqual(
      events.map((e) => e.type),
      ["connect-failed", "connected"],
    );
    assert.match((events[0] as { error: string }).error, /ECONNREFUSED/);
    assert.ok(!(events[0] as { url: string }).url.includes(broker.adminPassword));
  });

  it("loses no alert when the broker closes the connection in the middle of 2,000 (in-flight ones are republished on the next node)", async (t) => {
    const v = await vhost();
    await v.exchangeWithQueue("alerts", "alerts.phone", ["critical.*"], {
      "x-queue-type": "quorum",
    });
    const px = await proxy();
    // Through the proxy first, so the test holds the broker's confirms and its close while the
    // client keeps writing: the last 500 below are in flight, unconfirmed, when the close lands.
    const p = producer({ urls: [via(px, v), v.url], startIndex: 0, maxInFlight: 2_000 });
    await p.connect();
    const mgmtName = await connectionNamed(broker, p.connectionName);
    const all: Promise<PublishResult>[] = [];
    const batch = (from: number, to: number) => {
      for (let i = from; i < to; i++) all.push(p.publish(alert(`m-${i}`), { channel: "phone" }));
    };
    const t0 = performance.now();
    batch(0, 500);
    // Many messages in flight at once on the one confirm channel, not one at a time.
    assert.equal(p.stats.inFlight, 500);
    await Promise.all(all);
    const rate = Math.round(500 / ((performance.now() - t0) / 1000));
    px.hold();
    batch(500, 1000);
    const res = await broker.mgmt(`/api/connections/${encodeURIComponent(mgmtName)}`, {
      method: "DELETE",
    });
    assert.equal(res.status, 204);
    // The broker has closed the connection (the DELETE returns after it did); the client cannot
    // know yet, so these go out on a dead connection.
    batch(1000, 1500);
    px.release();
    batch(1500, 2000);
    const results = await Promise.all(all);

    assert.equal(results.length, 2_000);
    assert.ok(
      results.slice(1000, 1500).every((r) => r.attempts >= 2 && r.url === v.urlWithoutPassword),
      "written after the close: republished on the next node",
    );
    const s = p.stats;
    assert.equal(s.confirmed, 2_000);
    assert.equal(s.connections, 2);
    assert.ok(s.republished >= 500, `republished ${s.republished}`);
    assert.equal(
      s.republished,
      results.reduce((n, r) => n + r.attempts - 1, 0),
    );

    const ids = (await v.take("alerts.phone")).map((m) => m.properties.messageId as string);
    const distinct = new Set(ids);
    const missing = Array.from({ length: 2_000 }, (_, i) => `m-${i}`).filter(
      (id) => !distinct.has(id),
    );
    assert.deepEqual(missing, [], "every confirmed alert is in the queue");
    assert.ok(
      ids.length - distinct.size <= s.republished,
      "duplicates come only from republishing",
    );
    t.diagnostic(
      `first 500 at ${rate}/s; republished ${s.republished}; ${ids.length} messages in the queue, ${ids.length - distinct.size} duplicates`,
    );
  });

  it("retries a nacked alert (a full queue with reject-publish) until the deadline, then rejects with a clear error", async () => {
    const v = await vhost();
    await v.exchangeWithQueue("alerts", "alerts.sms", ["error.sms"], {
      "x-max-length": 1,
      "x-overflow": "reject-publish",
    });
    const p = producer({ urls: [v.url], retryMinMs: 20, retryMaxMs: 100 });
    await p.publish(alert("f-1", "error"), { channel: "sms" }); // fills the queue
    const t0 = Date.now();
    const e = await rejection(
      p.publish(alert("f-2", "error"), { channel: "sms", timeoutMs: 1_500 }),
    );
    const took = Date.now() - t0;
    assert.equal(e.reason, "timeout");
    assert.ok(e.attempts >= 3, `attempts ${e.attempts}`);
    assert.equal(
      e.message,
      `alert "f-2": not confirmed within 1500 ms (${e.attempts} attempt(s)); last: nacked by ${v.urlWithoutPassword} (a queue is full with overflow reject-publish, or has no leader)`,
    );
    assert.ok(took >= 1_500 && took < 3_000, `rejected after ${took} ms`);
    assert.equal(p.stats.failed, 1);
    assert.equal(p.stats.republished, e.attempts - 1);
    assert.equal(p.stats.connections, 1, "a nack is the queue's answer: the connection is kept");
    // Once there is room, the same producer gets through.
    await v.take("alerts.sms");
    assert.equal(
      (await p.publish(alert("f-3", "error"), { channel: "sms", timeoutMs: 5_000 })).attempts,
      1,
    );
  });

  it("gives a connection up when a confirm does not come in time and republishes on the next node", async () => {
    const v = await vhost();
    await v.exchangeWithQueue("alerts", "alerts.email", ["#"]);
    const px = await proxy();
    const events: ProducerEvent[] = [];
    const p = producer({
      urls: [via(px, v), v.url],
      startIndex: 0,
      confirmTimeoutMs: 300,
      onEvent: (e) => events.push(e),
    });
    await p.connect();
    px.hold();
    const r = await p.publish(alert("c-1", "warning"));
    assert.deepEqual(r, { id: "c-1", attempts: 2, url: v.urlWithoutPassword });
    const lost = events.find((e) => e.type === "disconnected");
    assert.deepEqual(lost, {
      type: "disconnected",
      url: new URL(via(px, v)).toString().replace(/:[^:@/]*@/, "@"),
      error: `no confirm from ${new URL(via(px, v)).toString().replace(/:[^:@/]*@/, "@")} within 300 ms`,
      requeued: 1,
    });
    // Both copies arrived (the held confirm was for a message the broker had): a duplicate, not a loss.
    assert.deepEqual(
      (await v.take("alerts.email")).map((m) => m.properties.messageId as string),
      ["c-1", "c-1"],
    );
  });

  it("while the broker blocks the connection (resource alarm), waits without republishing and confirms after unblock", async () => {
    const v = await vhost();
    await v.exchangeWithQueue("alerts", "alerts.email", ["#"]);
    const px = await proxy();
    // The confirm timeout is long enough that the block surely arrives before it (even on a busy
    // machine), and the block then lasts over two of them.
    const p = producer({ urls: [via(px, v), v.url], startIndex: 0, confirmTimeoutMs: 1_000 });
    await p.connect();
    px.hold();
    const first = Array.from({ length: 10 }, (_, i) => p.publish(alert(`b-${i}`, "info")));
    assert.equal(p.stats.inFlight, 10);
    px.inject(blockedFrame("low on memory"));
    await until("the producer sees the block", () => p.stats.blocked, 5_000, 10);
    const late = p.publish(alert("b-late", "info"));
    const doomed = rejection(p.publish(alert("b-doomed", "info"), { timeoutMs: 400 }));
    // Over two confirm timeouts pass while blocked: nothing is given up or sent again.
    await sleep(2_500);
    const e = await doomed;
    assert.equal(e.reason, "timeout");
    assert.match(
      e.message,
      /^alert "b-doomed": not confirmed within 400 ms \(0 attempt\(s\)\); last: the broker blocks publishing \(resource alarm: low on memory\) for \d+ ms$/,
    );
    assert.equal(p.stats.republished, 0);
    assert.equal(p.stats.connections, 1);
    assert.equal(p.stats.inFlight, 10);
    assert.equal(p.stats.queued, 1, "a publish made while blocked waits in the producer");
    px.inject(unblockedFrame());
    px.release();
    // The first ten's confirms were held by the proxy, so they arrive at once: sent once, on the
    // one connection. (b-late waits for a real broker round trip, so it is not held to that.)
    const results = await Promise.all(first);
    assert.deepEqual(
      results.map((r) => r.attempts),
      Array(10).fill(1),
    );
    assert.equal((await late).id, "b-late");
    assert.equal((await v.take("alerts.email")).length, p.stats.republished + 11);
  });

  it("fails at once, naming the node without its password, when the broker refuses the login", async () => {
    const v = await vhost();
    const p = producer({
      urls: [v.urlWithoutPassword],
      credentials: { password: "wrong-" + randomBytes(4).toString("hex") },
    });
    const t0 = Date.now();
    const e = await rejection(p.publish(alert("l-1")));
    assert.equal(e.reason, "refused");
    assert.equal(e.attempts, 0);
    assert.match(
      e.message,
      new RegExp(
        `^alert "l-1": ${v.urlWithoutPassword.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} refused the connection: .*ACCESS-REFUSED`,
      ),
    );
    assert.ok(Date.now() - t0 < 5_000, "not retried until the deadline");
    await assert.rejects(p.connect(), /refused the connection/);
  });

  it("on warren's own alerting topology, as the producer user: confirmed into the channel queue; a key it may not write is refused", async () => {
    const a = await createAlertingVhost(broker, { channel: "sms", delays: ["5s"] });
    vhosts.push(a);
    const password = randomBytes(12).toString("hex");
    await broker.mgmtJson(`/api/users/${encodeURIComponent(a.spec.producerUser)}`, {
      method: "PUT",
      body: JSON.stringify({ password, tags: "" }),
    });
    const url = broker.amqpUrl(a.spec.producerUser, "x", a.vhost).replace(/:x@/, "@");
    const p = producer({ urls: [url], credentials: { password }, channels: ["sms"] });
    assert.equal((await p.publish(alert("w-1", "warning"), { channel: "sms" })).attempts, 1);
    assert.equal((await p.publish(alert("w-2", "info"))).attempts, 1);
    assert.deepEqual(
      (await a.take(a.queue)).map((m) => m.properties.messageId as string),
      ["w-1", "w-2"],
    );
    const e = await rejection(p.publish(alert("w-3", "info"), { channel: "sms-typo" }));
    assert.equal(
      e.message,
      'alert "w-3": invalid alert: channel: must be one of all, sms, got "sms-typo"',
    );
    const unchecked = producer({ urls: [url], credentials: { password } });
    assert.equal(
      (await rejection(unchecked.publish(alert("w-4"), { channel: "pager" }))).reason,
      "refused",
    );
    // A key no channel takes but the admin may write goes to the alternate exchange: confirmed, not returned.
    const admin = producer({ urls: [a.adminUrl] });
    assert.equal((await admin.publish(alert("w-5"), { channel: "pager" })).attempts, 1);
    assert.deepEqual(
      (await a.take(a.spec.unroutedQueue)).map((m) => m.properties.messageId as string),
      ["w-5"],
    );
  });

  it("fails only the alerts whose routing key the user may not write (topic permissions), and confirms the others", async () => {
    const v = await vhost();
    await v.exchangeWithQueue("alerts", "alerts.sms", ["#"]);
    const user = `warren-producer-it-${randomBytes(3).toString("hex")}`;
    const password = await v.user(
      user,
      { configure: "^$", write: "^alerts$", read: "^$" },
      { exchange: "alerts", write: "^critical\\.(sms|all)$" },
    );
    const p = producer({ urls: [v.urlWithoutPassword], credentials: { username: user, password } });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        p.publish(alert(`t-${i}`, i % 10 === 0 ? "info" : "critical"), { channel: "sms" }),
      ),
    );
    outcomes.forEach((o, i) => {
      if (i % 10 === 0) {
        assert.equal(o.status, "rejected", `t-${i}`);
        const e = o.reason as PublishError;
        assert.equal(e.reason, "refused", e.message);
        assert.match(e.message, /access to topic 'info\.sms' in exchange 'alerts'/);
      } else
        assert.equal(
          o.status,
          "fulfilled",
          `t-${i}: ${String((o as PromiseRejectedResult).reason)}`,
        );
    });
    const ids = new Set((await v.take("alerts.sms")).map((m) => m.properties.messageId as string));
    assert.equal(ids.size, 36);
  });
});
