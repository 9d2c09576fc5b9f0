// The dispatcher as its container runs it: `node main.js` with the environment contract. A bad
// configuration exits non-zero naming the variables; SIGTERM in the middle of a batch loses
// nothing (every alert delivered or still queued) and exits 0. Uses the WeCom adapter end to end.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { ensureBroker, type Broker } from "../../support/broker";
import { until } from "../../support/wait";
import { alert } from "./support/fixtures";
import { type HttpSink, startHttpSink } from "./support/sinks";
import { type AlertingVhost, createAlertingVhost } from "./support/topology";

const MAIN = path.join(__dirname, "../../../apps/dispatcher/src/main.js");

interface Run {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  entries(): Record<string, unknown>[];
}

const running = new Set<ChildProcess>();

function run(env: Record<string, string>): Run {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const lines: string[] = [];
  let buf = "";
  child.stdout.on("data", (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split("\n");
    buf = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr.on("data", (d: Buffer) => lines.push(`stderr: ${d.toString()}`));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  return {
    child,
    lines,
    exit,
    entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

// A failed test must not leave a dispatcher running: stop what we started, by PID.
after(() => {
  for (const c of running) c.kill("SIGKILL");
});

describe("dispatcher process", () => {
  it("exits with code 2 and one error line per bad variable", async () => {
    const r = run({
      WARREN_CHANNEL_KIND: "sms",
      WARREN_PREFETCH: "lots",
      WARREN_GATEWAY_URL: "https://gw.example/",
    });
    assert.deepEqual(await r.exit, { code: 2, signal: null });
    assert.deepEqual(
      r.entries().map((e) => [e.level, e.msg, e.variable]),
      [
        [
          "error",
          "invalid configuration: WARREN_AMQP_URL: is required (or WARREN_AMQP_URL_FILE, a file holding it)",
          "WARREN_AMQP_URL",
        ],
        [
          "error",
          'invalid configuration: WARREN_PREFETCH: must be an integer from 1 to 65535, got "lots"',
          "WARREN_PREFETCH",
        ],
      ],
    );
  });

  describe("SIGTERM in the middle of a batch", () => {
    let broker: Broker;
    let vh: AlertingVhost;
    let sink: HttpSink;
    const TOTAL = 400;

    before(async () => {
      broker = await ensureBroker();
      vh = await createAlertingVhost(broker, { channel: "wecom", delays: ["1s"] });
      // A robot that takes 30 ms per message, so many deliveries are in flight at the signal.
      sink = await startHttpSink(() => ({
        status: 200,
        body: '{"errcode":0,"errmsg":"ok"}',
        delayMs: 30,
      }));
    });
    after(async () => {
      await sink?.close();
      await vh?.destroy();
      await broker?.stop();
    });

    it("finishes in-flight deliveries, leaves the rest queued, loses nothing and exits 0", async (t) => {
      const ids = Array.from({ length: TOTAL }, (_, i) => `term-${i}`);
      await vh.publish(ids.map((id) => alert({ id })));
      const r = run({
        WARREN_AMQP_URL: vh.consumerUrl,
        WARREN_CHANNEL_KIND: "wecom",
        WARREN_RETRY_EXCHANGE: vh.spec.retryExchange,
        WARREN_PARKED_EXCHANGE: vh.spec.parkedExchange,
        WARREN_RETRY_DELAYS: "1s",
        WARREN_WECOM_WEBHOOK_URL: `${sink.url}/cgi-bin/webhook/send?key=k`,
        WARREN_PREFETCH: "20",
        WARREN_CONCURRENCY: "2",
        WARREN_HTTP_PORT: "0",
        WARREN_HTTP_HOST: "127.0.0.1",
      });
      await until("deliveries to start", () => sink.requests.length >= 60);
      const t0 = performance.now();
      r.child.kill("SIGTERM");
      const exit = await r.exit;
      const stopMs = performance.now() - t0;
      assert.deepEqual(exit, { code: 0, signal: null });

      const delivered = sink.requests.map(
        (q) =>
          (JSON.parse(q.body) as { markdown: { content: string } }).markdown.content.match(
            /> id: (term-\d+)$/,
          )![1],
      );
      const queued = (await vh.take(vh.queue)).map(
        (m) => (JSON.parse(m.content.toString()) as { id: string }).id,
      );
      const seen = [...delivered, ...queued];
      const duplicates = seen.length - new Set(seen).size;
      const entries = r.entries();
      const drain = entries.find(
        (e) => e.msg === "stopped consuming; finishing in-flight deliveries",
      );
      t.diagnostic(
        `delivered ${delivered.length}, still queued ${queued.length}, duplicates ${duplicates}, in flight at SIGTERM ${String(drain?.inFlight)}, stop took ${stopMs.toFixed(0)} ms`,
      );

      assert.deepEqual(
        [...new Set(seen)].sort(),
        [...ids].sort(),
        "every alert is delivered or still queued",
      );
      // A graceful stop acks everything it delivered: no alert comes twice.
      assert.equal(duplicates, 0);
      assert.ok(queued.length > 0, "the signal came mid-batch");
      assert.ok(
        typeof drain?.inFlight === "number" && drain.inFlight > 0,
        "deliveries were in flight at the signal",
      );
      assert.deepEqual(await vh.take(vh.parkedQueue), []);
      assert.deepEqual(
        entries
          .filter((e) =>
            ["stopping", "stopped consuming; finishing in-flight deliveries", "stopped"].includes(
              String(e.msg),
            ),
          )
          .map((e) => e.msg),
        ["stopping", "stopped consuming; finishing in-flight deliveries", "stopped"],
      );
      assert.ok(entries.every((e) => !JSON.stringify(e).includes(vh.consumerPassword)));
    });
  });
});
