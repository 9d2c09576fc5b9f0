// The dispatcher against a real RabbitMQ with the alerting layout warren creates (one channel,
// retry delays of 200ms and 400ms, quorum queues, TTL and dead-letter policies), consuming as the
// channel's least-privilege user, with a local HTTP gateway as the target.
import assert from "node:assert/strict";
import * as net from "node:net";
import { after, before, describe, it } from "node:test";
import type { GetMessage } from "amqplib";
import { Dispatcher } from "../../../apps/dispatcher/src/dispatcher";
import { ensureBroker, type Broker } from "../../support/broker";
import { sleep, until } from "../../support/wait";
import { LogCapture, alert, configFrom, httpUrl, metricValue } from "./support/fixtures";
import { type HttpSink, type RecordedRequest, type Reply, startHttpSink } from "./support/sinks";
import { type AlertingVhost, createAlertingVhost } from "./support/topology";

const GATEWAY_TOKEN = "gw-token-must-not-be-logged";

let broker: Broker;
let vh: AlertingVhost;
let sink: HttpSink;
let answer: (req: RecordedRequest, idOf: string) => Reply = () => ({ status: 200 });
const logs = new LogCapture();

before(async () => {
  broker = await ensureBroker();
  vh = await createAlertingVhost(broker, { channel: "sms", delays: ["200ms", "400ms"] });
  sink = await startHttpSink((req) => {
    let id = "";
    try {
      id = (JSON.parse(req.body) as { id: string }).id;
    } catch {
      // Not ours.
    }
    return answer(req, id);
  });
});

after(async () => {
  await sink?.close();
  await vh?.destroy();
  await broker?.stop();
});

function dispatcher(extra: Record<string, string> = {}): Dispatcher {
  return new Dispatcher(
    configFrom({
      WARREN_AMQP_URL: vh.consumerUrl,
      WARREN_CHANNEL_KIND: "sms",
      WARREN_QUEUE: vh.queue,
      WARREN_RETRY_EXCHANGE: vh.spec.retryExchange,
      WARREN_PARKED_EXCHANGE: vh.spec.parkedExchange,
      WARREN_RETRY_DELAYS: "200ms,400ms",
      WARREN_GATEWAY_URL: `${sink.url}/send?key=gw-key-in-url`,
      WARREN_GATEWAY_TOKEN: GATEWAY_TOKEN,
      WARREN_HTTP_PORT: "0",
      WARREN_HTTP_HOST: "127.0.0.1",
      WARREN_TARGET_TIMEOUT: "3s",
      WARREN_RECONNECT_MIN_DELAY: "100ms",
      WARREN_RECONNECT_MAX_DELAY: "1s",
      WARREN_LOG_LEVEL: "debug",
      ...extra,
    }),
    { writeLog: logs.write, defaultMetrics: false },
  );
}

/** Runs `f` with a started, consuming dispatcher, and stops it whatever happens. */
async function withDispatcher(
  f: (d: Dispatcher) => Promise<void>,
  extra: Record<string, string> = {},
): Promise<void> {
  const d = dispatcher(extra);
  try {
    await d.start();
    await until("the dispatcher to consume", () => d.ready);
    await f(d);
  } finally {
    await d.stop();
  }
}

const requestsFor = (id: string) => sink.requests.filter((r) => r.body.includes(`"id":"${id}"`));

async function metrics(d: Dispatcher): Promise<string> {
  const res = await fetch(httpUrl(d, "/metrics"));
  assert.equal(res.status, 200);
  return res.text();
}

/** The channel and retry queues are empty and the dispatcher has nothing in flight (it acks first). */
const settled = (d: Dispatcher) => async (): Promise<boolean> => {
  if (d.inFlight > 0) return false;
  for (const q of [vh.queue, ...vh.spec.retryDelays.map((r) => r.queue)])
    if ((await vh.ready(q)) > 0) return false;
  return d.inFlight === 0;
};

const headersOf = (m: GetMessage): Record<string, unknown> => m.properties.headers ?? {};
/** Quorum queues (the parked ones) count deliveries in a header of their own on the way out. */
const QUORUM_GET = { "x-delivery-count": 0 };

describe("dispatcher on a real broker", () => {
  it("delivers an alert once after two retries through the real retry queues", async () => {
    answer = (_req, id) =>
      id === "retry-1" && requestsFor("retry-1").length <= 2
        ? { status: 500, body: '{"error":"busy"}' }
        : { status: 200 };
    const spy = await vh.spy(vh.spec.retryExchange, "#");
    await withDispatcher(async (d) => {
      await vh.publish([alert({ id: "retry-1" })]);
      await until("three attempts", () => requestsFor("retry-1").length === 3);
      await until("the queues to settle", settled(d));
      await sleep(600); // a fourth request would come by now
      const attempts = requestsFor("retry-1");
      assert.equal(attempts.length, 3);
      const gaps = [attempts[1].at - attempts[0].at, attempts[2].at - attempts[1].at];
      assert.ok(
        gaps[0] >= 200 && gaps[0] < 1700,
        `first retry after ${gaps[0].toFixed(0)}ms, expected ~200ms`,
      );
      assert.ok(
        gaps[1] >= 400 && gaps[1] < 1900,
        `second retry after ${gaps[1].toFixed(0)}ms, expected ~400ms`,
      );

      const copies = await vh.take(spy);
      assert.deepEqual(
        copies.map((m): unknown[] => [
          m.fields.routingKey,
          headersOf(m)["x-warren-attempt"],
          headersOf(m)["x-warren-reason"],
          m.properties.deliveryMode,
        ]),
        [
          ["sms.200ms", 1, 'sms gateway: HTTP 500 {"error":"busy"}', 2],
          ["sms.400ms", 2, 'sms gateway: HTTP 500 {"error":"busy"}', 2],
        ],
      );
      assert.deepEqual(await vh.take(vh.parkedQueue), []);
      const m = await metrics(d);
      assert.deepEqual(
        [
          metricValue(m, "warren_dispatcher_delivered_total", { channel: "sms" }),
          metricValue(m, "warren_dispatcher_failed_total", { channel: "sms", kind: "transient" }),
          metricValue(m, "warren_dispatcher_retried_total", { channel: "sms", delay: "200ms" }),
          metricValue(m, "warren_dispatcher_retried_total", { channel: "sms", delay: "400ms" }),
          metricValue(m, "warren_dispatcher_parked_total", {
            channel: "sms",
            outcome: "exhausted",
          }),
          metricValue(m, "warren_dispatcher_in_flight", { channel: "sms" }),
          metricValue(m, "warren_dispatcher_latency_seconds_count", { channel: "sms" }),
        ],
        [1, 2, 1, 1, 0, 0, 1],
      );
    });
    await broker.mgmt(`/api/queues/${encodeURIComponent(vh.vhost)}/${spy}`, { method: "DELETE" });
  });

  it("parks an alert that always fails after the last attempt, with the reason headers", async () => {
    answer = (_req, id) =>
      id === "down-1" ? { status: 503, body: '{"error":"down"}' } : { status: 200 };
    const published = alert({ id: "down-1" });
    await withDispatcher(async (d) => {
      await vh.publish([published]);
      await until("the alert to be parked", async () => (await vh.ready(vh.parkedQueue)) === 1);
      await until("the queues to settle", settled(d));
      const [parked, ...more] = await vh.take(vh.parkedQueue);
      assert.equal(more.length, 0);
      assert.equal(requestsFor("down-1").length, 3);
      assert.deepEqual(
        [parked.fields.exchange, parked.fields.routingKey, JSON.parse(parked.content.toString())],
        [vh.spec.parkedExchange, "sms", published],
      );
      assert.deepEqual(headersOf(parked), {
        ...QUORUM_GET,
        "x-warren-reason": 'gave up after 3 attempts: sms gateway: HTTP 503 {"error":"down"}',
        "x-warren-attempts": 3,
        "x-warren-outcome": "exhausted",
      });
      assert.equal(
        metricValue(await metrics(d), "warren_dispatcher_parked_total", {
          channel: "sms",
          outcome: "exhausted",
        }),
        1,
      );
    });
  });

  it("parks messages that are not alerts at once, without calling the target", async () => {
    const before = sink.requests.length;
    const { timestamp: _t, ...noTimestamp } = alert({ id: "bad-1" });
    await withDispatcher(async (d) => {
      await vh.publish([noTimestamp], { raw: [Buffer.from("not json at all")] });
      await until("both to be parked", async () => (await vh.ready(vh.parkedQueue)) === 2);
      await until("the queues to settle", settled(d));
      const parked = await vh.take(vh.parkedQueue);
      assert.deepEqual(
        parked.map((m) => [m.content.toString(), headersOf(m)]).sort(),
        [
          [
            JSON.stringify(noTimestamp),
            {
              ...QUORUM_GET,
              "x-warren-reason": "invalid alert: timestamp: Required",
              "x-warren-attempts": 0,
              "x-warren-outcome": "invalid",
            },
          ],
          [
            "not json at all",
            {
              ...QUORUM_GET,
              "x-warren-reason": `invalid alert: not UTF-8 JSON (Unexpected token 'o', "not json at all" is not valid JSON)`,
              "x-warren-attempts": 0,
              "x-warren-outcome": "invalid",
            },
          ],
        ].sort(),
      );
      assert.equal(sink.requests.length, before);
      const m = await metrics(d);
      assert.deepEqual(
        [
          metricValue(m, "warren_dispatcher_failed_total", { channel: "sms", kind: "invalid" }),
          metricValue(m, "warren_dispatcher_parked_total", { channel: "sms", outcome: "invalid" }),
        ],
        [2, 2],
      );
    });
  });

  it("parks a permanent refusal (4xx) after one attempt", async () => {
    answer = (_req, id) =>
      id === "refused-1" ? { status: 422, body: '{"error":"bad number"}' } : { status: 200 };
    await withDispatcher(async (d) => {
      await vh.publish([alert({ id: "refused-1" })]);
      await until("the alert to be parked", async () => (await vh.ready(vh.parkedQueue)) === 1);
      await until("the queues to settle", settled(d));
      const [parked] = await vh.take(vh.parkedQueue);
      assert.deepEqual(headersOf(parked), {
        ...QUORUM_GET,
        "x-warren-reason": 'sms gateway: HTTP 422 {"error":"bad number"}',
        "x-warren-attempts": 1,
        "x-warren-outcome": "permanent",
      });
      assert.equal(requestsFor("refused-1").length, 1);
    });
  });

  /**
   * The first attempt of `id` is answered (200) only after the dispatcher's connection is cut;
   * resolves with the dispatcher's metrics once the broker's redelivery has been handled.
   */
  async function cutBeforeAck(id: string, extra: Record<string, string>): Promise<string> {
    let release!: () => void;
    const cut = new Promise<void>((r) => (release = r));
    answer = (_req, i) =>
      i === id && requestsFor(id).length === 1 ? { status: 200, after: cut } : { status: 200 };
    let m = "";
    await withDispatcher(async (d) => {
      await vh.publish([alert({ id })]);
      await until("the target to be called", () => requestsFor(id).length === 1);
      // Cut the dispatcher's connection while the target is still answering: had the delivery been
      // acked on receipt, the broker would not deliver it again. Found by its client-provided
      // name: the management API lists connections late, and may still list earlier tests' ones.
      let mine: { name: string }[] = [];
      await until("the management API to list the dispatcher's connection", async () => {
        const all = await broker.mgmtJson<
          { name: string; client_properties?: { connection_name?: string } }[]
        >(`/api/vhosts/${encodeURIComponent(vh.vhost)}/connections`);
        mine = all.filter((c) => c.client_properties?.connection_name === d.connectionName);
        return mine.length > 0;
      });
      assert.equal(mine.length, 1);
      const lost = () =>
        logs.messages("warn").filter((msg) => msg === "lost the broker connection").length;
      const lostBefore = lost();
      await broker.mgmtJson(`/api/connections/${encodeURIComponent(mine[0].name)}`, {
        method: "DELETE",
      });
      await until("the dispatcher to notice", () => lost() === lostBefore + 1);
      release();
      await until("the dispatcher to consume again", () => d.ready);
      await until("the redelivery handled", async () => {
        m = await metrics(d);
        return (
          requestsFor(id).length === 2 ||
          metricValue(m, "warren_dispatcher_duplicates_total", { channel: "sms" }) === 1
        );
      });
      await until("the queue to settle", settled(d));
      await sleep(300);
      m = await metrics(d);
      assert.equal(metricValue(m, "warren_dispatcher_reconnects_total", { channel: "sms" }), 1);
    }, extra);
    return m;
  }

  it("acknowledges an alert only once the target accepted it: cut off before the ack, it comes again", async () => {
    // Without de-duplication the redelivered copy goes to the target again: at least once.
    const m = await cutBeforeAck("slow-1", { WARREN_DEDUPE_WINDOW: "0" });
    assert.equal(requestsFor("slow-1").length, 2);
    // What happens to the first attempt's late answer depends on how far amqplib got in closing
    // the channel when it arrives (a failed ack, logged or not; counted as delivered or not):
    // the contract is the redelivery above, one reconnection, and the redelivered attempt counted.
    assert.ok(
      [1, 2].includes(metricValue(m, "warren_dispatcher_delivered_total", { channel: "sms" })),
    );
  });

  it("does not send the broker's redelivery of an alert the target accepted (de-duplication)", async () => {
    // (A target timeout longer than the cut takes: the first attempt must end delivered.)
    const m = await cutBeforeAck("slow-2", { WARREN_TARGET_TIMEOUT: "60s" });
    // The broker did deliver it again (it was not acked before the target answered)...
    assert.equal(metricValue(m, "warren_dispatcher_duplicates_total", { channel: "sms" }), 1);
    // ...and the dispatcher knew the target had accepted it: one request, one delivery.
    assert.equal(requestsFor("slow-2").length, 1);
    assert.equal(metricValue(m, "warren_dispatcher_delivered_total", { channel: "sms" }), 1);
  });

  it("sends a copy of an alert it delivered already only once, and gets past a node that refuses connections", async () => {
    answer = () => ({ status: 200 });
    // The first "node" refuses connections: the dispatcher goes on to the next URL.
    const dead = vh.consumerUrl.replace(/@[^/]+\//, "@127.0.0.1:1/");
    await withDispatcher(
      async (d) => {
        await vh.publish([alert({ id: "dup-1" })]);
        await until("the first copy delivered", () => requestsFor("dup-1").length === 1);
        await vh.publish([alert({ id: "dup-1" }), alert({ id: "dup-2" })]);
        await until("the queues to settle", settled(d));
        await until("dup-2 delivered", () => requestsFor("dup-2").length === 1);
        assert.equal(requestsFor("dup-1").length, 1);
        assert.equal(
          metricValue(await metrics(d), "warren_dispatcher_duplicates_total", { channel: "sms" }),
          1,
        );
      },
      { WARREN_AMQP_URL: `${dead},${vh.consumerUrl}` },
    );
  });

  it("gives up on a session the broker stops answering after the handshake, within the connect timeout", async () => {
    answer = () => ({ status: 200 });
    // The broker behind a relay that, on its first connection, lets the AMQP handshake through
    // and then swallows the broker's answers once the client opens a channel (a broker booting
    // or on its way out behind a Service, as seen on Kubernetes): amqplib's own timeout ends with
    // the handshake, so only the dispatcher's deadline on the whole session gets it out.
    const broker = new URL(vh.consumerUrl);
    let stalled: net.Socket | undefined;
    let stalledClosed = false;
    let connections = 0;
    const relay = net.createServer((client) => {
      const first = connections++ === 0;
      const upstream = net.connect({ host: broker.hostname, port: Number(broker.port) });
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
      client.on("close", () => {
        upstream.destroy();
        if (first) stalledClosed = true;
      });
      let answering = true;
      upstream.on("data", (b: Buffer) => answering && client.write(b));
      // Client frames after the 8-byte protocol header: type, channel (2), size (4), payload, end.
      let seen = Buffer.alloc(0);
      client.on("data", (b: Buffer) => {
        upstream.write(b);
        if (!first || !answering) return;
        seen = Buffer.concat([seen, b]);
        for (let at = 8; at + 7 <= seen.length; at += 8 + seen.readUInt32BE(at + 3)) {
          if (seen.readUInt16BE(at + 1) !== 0) {
            answering = false; // the first frame on a channel: from here on, silence
            stalled = client;
            break;
          }
        }
      });
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
    const port = (relay.address() as net.AddressInfo).port;
    const relayed = vh.consumerUrl.replace(/@[^/]+\//, `@127.0.0.1:${port}/`);
    try {
      await withDispatcher(
        async () => {
          await vh.publish([alert({ id: "stalled-1" })]);
          await until("stalled-1 delivered", () => requestsFor("stalled-1").length === 1, 20_000);
          assert.ok(stalled, "the first session stalled after the handshake");
          assert.ok(logs.lines.some((l) => l.includes("no AMQP session within 2000 ms")));
          await until("the stalled connection dropped", () => stalledClosed, 5000);
        },
        { WARREN_AMQP_URL: relayed, WARREN_CONNECT_TIMEOUT: "2s" },
      );
    } finally {
      relay.close();
    }
  });

  it("reports health at once and readiness only while consuming", async () => {
    const d = dispatcher({
      WARREN_AMQP_URL: broker.amqpUrl("nobody", "wrong-password-must-not-be-logged", vh.vhost),
    });
    try {
      await d.start();
      const base = httpUrl(d);
      await until("a refused login", () => logs.lines.some((l) => l.includes("ACCESS_REFUSED")));
      const [health, ready, missing] = await Promise.all(
        ["/healthz", "/readyz", "/nope"].map((p) => fetch(base + p)),
      );
      assert.deepEqual(
        [health.status, await health.text(), ready.status, await ready.text(), missing.status],
        [200, "ok\n", 503, "not ready: connecting\n", 404],
      );
    } finally {
      await d.stop();
    }
    await withDispatcher(async (ok) => {
      const ready = await fetch(httpUrl(ok, "/readyz"));
      assert.deepEqual([ready.status, await ready.text()], [200, "ready\n"]);
      assert.equal(
        metricValue(await metrics(ok), "warren_dispatcher_ready", { channel: "sms" }),
        1,
      );
    });
  });

  it("writes JSON log lines without the AMQP password, the gateway key or the token", () => {
    assert.ok(logs.lines.length > 20, `only ${logs.lines.length} log lines`);
    const entries = logs.entries;
    assert.ok(
      entries.every(
        (e) =>
          typeof e.time === "string" &&
          typeof e.level === "string" &&
          typeof e.msg === "string" &&
          e.channel === "sms",
      ),
    );
    assert.ok(
      logs.messages().includes("retry scheduled") && logs.messages("warn").includes("parked"),
    );
    const all = logs.lines.join("");
    for (const secret of [
      vh.consumerPassword,
      "wrong-password-must-not-be-logged",
      "gw-key-in-url",
      GATEWAY_TOKEN,
    ])
      assert.equal(all.includes(secret), false, `log contains ${secret}`);
  });
});
