// `npm run bench:dispatcher`: one dispatcher process (bin/apps/dispatcher/src/main.js) against a
// local broker (the alerting layout for one channel, quorum queues, as warren creates it) and an
// instant local HTTP gateway, for prefetch 1, 10, 100 × concurrency 1, 4:
//  - throughput: 20,000 alerts queued first, then drained; alerts/s from the first to the last
//    arrival at the gateway (the dispatcher's capacity, without a publisher competing for CPU);
//  - latency: with the dispatcher idle, 2,000 alerts published at a steady 500/s; from publish
//    (a high-resolution time stamped in a label) to arrival at the gateway, p50 and p99.
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as amqp from "amqplib";
import { type Broker, ensureBroker } from "../tests/support/broker";
import { sleep, until } from "../tests/support/wait";
import { createAlertingVhost } from "../tests/apps/dispatcher/support/topology";

const TOTAL = Number(process.env.BENCH_ALERTS ?? 20_000);
const PACED = { count: 2_000, perSecond: 500 };
// BENCH_CONFIGS="100x1,100x4" runs a subset; BENCH_NODE_ARGS go to the dispatcher's node (--cpu-prof).
const CONFIGS: [number, number][] = (process.env.BENCH_CONFIGS ?? "1x1,1x4,10x1,10x4,100x1,100x4")
  .split(",")
  .map((c) => c.split("x").map(Number) as [number, number]);
const WIDTHS = [8, 13, 10, 15, 9, 9];
const MAIN = path.join(__dirname, "../apps/dispatcher/src/main.js");
const now = () => performance.timeOrigin + performance.now();

interface Sink {
  url: string;
  arrivals: number[];
  latencies: number[];
  close(): Promise<void>;
}

/** The gateway: answers 200 at once, notes when each alert arrived and how long it took. */
async function startSink(): Promise<Sink> {
  const arrivals: number[] = [];
  const latencies: number[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const t = now();
      const sent = /"sent":"([\d.]+)"/.exec(Buffer.concat(chunks).toString());
      arrivals.push(t);
      if (sent) latencies.push(t - Number(sent[1]));
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/send`,
    arrivals,
    latencies,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

function body(i: number, sent?: number): Buffer {
  return Buffer.from(
    JSON.stringify({
      id: `bench-${i}`,
      severity: "critical",
      title: `Disk full on db-${i % 50}`,
      body: "/var is at 99% and rising; the nightly compaction did not free enough space.",
      source: "prometheus",
      labels:
        sent === undefined
          ? { host: `db-${i % 50}`, team: "storage" }
          : { host: `db-${i % 50}`, team: "storage", sent: sent.toFixed(3) },
      timestamp: new Date().toISOString(),
    }),
  );
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

function cpuSeconds(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}

/** The dispatcher as it runs in its image, against the bench's vhost and gateway. */
function startDispatcher(
  amqpUrl: string,
  gatewayUrl: string,
  prefetch: number,
  concurrency: number,
): ChildProcess {
  return spawn(
    process.execPath,
    [...(process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean), MAIN],
    {
      env: {
        PATH: process.env.PATH ?? "",
        WARREN_AMQP_URL: amqpUrl,
        WARREN_CHANNEL_KIND: "sms",
        WARREN_GATEWAY_URL: gatewayUrl,
        WARREN_RETRY_DELAYS: "5s",
        WARREN_PREFETCH: String(prefetch),
        WARREN_CONCURRENCY: String(concurrency),
        WARREN_HTTP_PORT: "0",
        WARREN_HTTP_HOST: "127.0.0.1",
        WARREN_LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
}

/** One configuration: drain TOTAL queued alerts, then the paced ones; the table row. */
async function measure(
  broker: Broker,
  prefetch: number,
  concurrency: number,
  running: Set<ChildProcess>,
): Promise<string> {
  let row = "";
  const vh = await createAlertingVhost(broker, { channel: "sms", delays: ["5s"] });
  const sink = await startSink();
  const conn = await amqp.connect(vh.adminUrl);
  let child: ChildProcess | undefined;
  try {
    const ch = await conn.createConfirmChannel();
    // Queue everything first, in confirm windows of 1,000.
    for (let i = 0; i < TOTAL; i++) {
      ch.publish(vh.spec.exchange, "critical.sms", body(i), { persistent: true });
      if (i % 1000 === 999) await ch.waitForConfirms();
    }
    await ch.waitForConfirms();

    child = startDispatcher(vh.consumerUrl, sink.url, prefetch, concurrency);
    running.add(child);
    const pid = child.pid!;
    // Polled every 5 ms: the CPU seconds around the drain are read when it starts and ends.
    await until("the first alert", () => sink.arrivals.length > 0, 60_000, 5);
    const cpu0 = cpuSeconds(pid);
    await until(`${TOTAL} alerts`, () => sink.arrivals.length >= TOTAL, 300_000, 5);
    const cpu1 = cpuSeconds(pid);
    const seconds = (sink.arrivals[TOTAL - 1] - sink.arrivals[0]) / 1000;
    const rate = (TOTAL - 1) / seconds;

    // Latency at a steady load, the dispatcher otherwise idle.
    const t0 = performance.now();
    for (let i = 0; i < PACED.count; i++) {
      const due = t0 + (i * 1000) / PACED.perSecond;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      ch.publish(vh.spec.exchange, "critical.sms", body(TOTAL + i, now()), {
        persistent: true,
      });
    }
    await ch.waitForConfirms();
    await until("the paced alerts", () => sink.latencies.length >= PACED.count, 300_000, 5);
    const lat = sink.latencies;

    row = [
      String(prefetch),
      String(concurrency),
      rate.toFixed(0),
      ((100 * (cpu1 - cpu0)) / seconds).toFixed(0),
      pct(lat, 50).toFixed(1),
      pct(lat, 99).toFixed(1),
    ]
      .map((c, i) => c.padStart(WIDTHS[i]))
      .join("");
    process.stderr.write(
      `prefetch ${prefetch} × concurrency ${concurrency}: ${rate.toFixed(0)} alerts/s\n`,
    );
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child!.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    if (child) running.delete(child);
    await conn.close().catch(() => {});
    await sink.close();
    await vh.destroy();
  }
  return row;
}

async function main() {
  const broker = await ensureBroker();
  const rows: string[] = [];
  const running = new Set<ChildProcess>();
  process.on("exit", () => running.forEach((c) => c.kill("SIGKILL")));
  try {
    for (const [prefetch, concurrency] of CONFIGS) {
      rows.push(await measure(broker, prefetch, concurrency, running));
    }
  } finally {
    await broker.stop();
  }
  console.log(
    `dispatcher: ${TOTAL} queued alerts drained, then ${PACED.count} at ${PACED.perSecond}/s for latency (quorum queues, instant HTTP gateway, ${os.cpus().length} cores)`,
  );
  console.log(
    ["prefetch", " concurrency", "alerts/s", "CPU % (drain)", "p50 ms", "p99 ms"]
      .map((h, i) => h.padStart(WIDTHS[i]))
      .join(""),
  );
  for (const r of rows) console.log(r);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
