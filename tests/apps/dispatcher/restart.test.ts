// Broker restarted mid-stream: the node is stopped and started again (same ports, same data) while
// the dispatcher has deliveries in flight; it reconnects with backoff and every alert arrives, at
// least once, duplicates only from deliveries in flight at the cut. A private node of its own
// (startRestartableBroker), so no other test sees the restart. Uses the DingTalk adapter end to end.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Dispatcher } from "../../../apps/dispatcher/src/dispatcher";
import { type RestartableBroker, startRestartableBroker } from "../../support/broker";
import { until } from "../../support/wait";
import { LogCapture, alert, configFrom, httpUrl, metricValue } from "./support/fixtures";
import { type HttpSink, type RecordedRequest, startHttpSink } from "./support/sinks";
import { type AlertingVhost, createAlertingVhost } from "./support/topology";

const SECRET = "SECrestart0123456789";
const PREFETCH = 10;
const CONCURRENCY = 2;

const signed = (req: RecordedRequest) => {
  const u = new URL(req.url, "http://dingtalk.invalid");
  const ts = u.searchParams.get("timestamp") ?? "";
  return (
    u.searchParams.get("sign") ===
    createHmac("sha256", SECRET).update(`${ts}\n${SECRET}`).digest("base64")
  );
};

describe("broker restart", () => {
  let node: RestartableBroker;
  let vh: AlertingVhost;
  let sink: HttpSink;
  const logs = new LogCapture();
  // While the broker is being stopped the target holds its answers, so the deliveries in flight
  // are still unacked when the connection goes, however long the stop takes on a busy machine
  // (without it, a slow stop let all 600 alerts through first and the cut was not mid-stream).
  let held: Promise<void> | undefined;
  let release = () => {};

  before(async () => {
    node = await startRestartableBroker({ startTimeoutMs: 120_000 });
    vh = await createAlertingVhost(node, { channel: "dingtalk", delays: ["1s"] });
    sink = await startHttpSink((req) =>
      signed(req)
        ? { status: 200, body: '{"errcode":0,"errmsg":"ok"}', delayMs: 50, after: held }
        : { status: 200, body: '{"errcode":310000,"errmsg":"sign not match"}' },
    );
  });
  after(async () => {
    await sink?.close();
    await node?.stop();
  });

  it("reconnects after the broker comes back and loses no alert", async (t) => {
    const d = new Dispatcher(
      configFrom({
        WARREN_AMQP_URL: vh.consumerUrl,
        WARREN_CHANNEL_KIND: "dingtalk",
        WARREN_DINGTALK_WEBHOOK_URL: `${sink.url}/robot/send?access_token=tok`,
        WARREN_DINGTALK_SECRET: SECRET,
        WARREN_RETRY_DELAYS: "1s",
        WARREN_PREFETCH: String(PREFETCH),
        WARREN_CONCURRENCY: String(CONCURRENCY),
        WARREN_HTTP_PORT: "0",
        WARREN_HTTP_HOST: "127.0.0.1",
        WARREN_RECONNECT_MIN_DELAY: "200ms",
        WARREN_RECONNECT_MAX_DELAY: "2s",
      }),
      { writeLog: logs.write, defaultMetrics: false },
    );
    const ids = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => `restart-${from + i}`);
    const delivered = () =>
      sink.requests
        .filter(signed)
        .map(
          (r) =>
            (JSON.parse(r.body) as { markdown: { text: string } }).markdown.text.match(
              /> id: (restart-\d+)$/,
            )![1],
        );
    try {
      await d.start();
      await until("the dispatcher to consume", () => d.ready);
      await vh.publish(ids(0, 600).map((id) => alert({ id })));
      await until("deliveries to be under way", () => sink.requests.length >= 100);

      held = new Promise<void>((r) => (release = r));
      const cut = performance.now();
      const stopping = node.stopNode();
      await until("the dispatcher to notice", () => !d.ready, 30_000, 5);
      const atCut = delivered().length;
      held = undefined;
      release();
      const readyz = await fetch(httpUrl(d, "/readyz"));
      assert.equal(readyz.status, 503);
      await stopping;
      await node.startNode();
      await until("the dispatcher to reconnect", () => d.ready, 60_000);
      const back = performance.now();

      await vh.publish(ids(600, 200).map((id) => alert({ id })));
      await until("every alert to arrive", () => new Set(delivered()).size === 800, 60_000);
      await until(
        "the queue to drain",
        async () => d.inFlight === 0 && (await vh.ready(vh.queue)) === 0,
      );

      const all = delivered();
      const duplicates = all.length - new Set(all).size;
      const m = await d.metrics.registry.metrics();
      t.diagnostic(
        `delivered ${new Set(all).size} alerts, ${duplicates} twice; ${atCut} before the cut; broker away and back in ${((back - cut) / 1000).toFixed(1)} s; reconnects ${metricValue(m, "warren_dispatcher_reconnects_total", { channel: "dingtalk" })}`,
      );
      assert.ok(
        atCut < 600,
        `the cut came after all ${atCut} alerts of the first batch were delivered`,
      );
      assert.deepEqual([...new Set(all)].sort(), [...ids(0, 800)].sort());
      // Only deliveries in flight when the broker went away can come twice (at least once).
      assert.ok(
        duplicates <= PREFETCH * CONCURRENCY,
        `${duplicates} duplicates, more than the ${PREFETCH * CONCURRENCY} that can be in flight`,
      );
      assert.equal(sink.requests.filter((r) => !signed(r)).length, 0);
      assert.ok(metricValue(m, "warren_dispatcher_reconnects_total", { channel: "dingtalk" }) >= 1);
      assert.equal(
        metricValue(m, "warren_dispatcher_delivered_total", { channel: "dingtalk" }),
        all.length,
      );
      assert.deepEqual(await vh.take(vh.parkedQueue), []);
      assert.ok(logs.messages("warn").includes("lost the broker connection"));
    } finally {
      release();
      await d.stop();
    }
  });
});
