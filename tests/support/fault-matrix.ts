// The fault matrix on a dev stack: each case runs one fault while the shipped producer
// (apps/producer) publishes a steady stream of alerts of mixed severities to every node, then
// counts at the sink, per channel, what was published, confirmed, re-published, delivered,
// duplicated and lost (confirmed and never delivered to a channel it routes to), how long the
// backlog took to drain and the publish-to-sink latency; and checks that everything recovered
// without anyone acting: every node running, every quorum queue with all members online, every
// dispatcher consuming, and the sink never restarted (so "not delivered" means lost, never
// "forgotten"). Used by tests/e2e/dev-stack.test.ts (one round) and bench/soak.ts (N rounds);
// the cases themselves are in fault-cases.ts.
import type { ConnectionOptions } from "node:tls";
import { AlertProducer } from "../../apps/producer/src/producer";
import { CHANNELS, SEVERITIES, type SinkClient } from "./devstack";
import type { FaultCase } from "./fault-cases";
import { sleep, until } from "./wait";

/** What a case needs of a stack, on any runtime (DevStack on Docker, KubeStack on Kubernetes). */
export interface FaultStack {
  readonly sink: SinkClient;
  /** The nodes; a case that aims at node i has the producer start on amqpUrls()[i]. */
  readonly nodes: readonly string[];
  amqpUrls(): string[];
  /** TLS options for the amqps:// URLs (the cluster's CA); undefined with TLS off. */
  amqpTls(): ConnectionOptions | undefined;
  routesOf(): (key: string) => string[];
  healthy(): Promise<void>;
  unhealthy(): Promise<string | undefined>;
}

export interface CaseResult {
  readonly round: number;
  readonly name: string;
  readonly published: number;
  readonly confirmed: number;
  readonly republished: number;
  /** Alert × channel pairs expected (each confirmed alert, once per channel it routes to). */
  readonly expected: number;
  readonly delivered: number;
  readonly duplicates: number;
  readonly lost: number;
  /** From the last confirm to the last expected delivery. */
  readonly drainMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Per channel: [expected, delivered distinct, duplicates]. */
  readonly channels: Record<string, [number, number, number]>;
  /** Lost ids per channel (at most 20 each), for the failure message. */
  readonly lostIds: Record<string, string[]>;
  readonly notes: string[];
}

export interface StreamOptions {
  /** Alerts per case. @default 1000 */
  readonly alerts?: number;
  /** Alerts per second. @default 100 */
  readonly rate?: number;
}

interface Sent {
  readonly key: string;
  readonly t0: number;
  confirmedAt?: number;
  attempts?: number;
  error?: string;
}

/** A steady stream: `alerts` alerts at `rate`/s, mixed severities and targets, up to 200 in flight. */
class Stream {
  readonly sent = new Map<string, Sent>();
  /** Index in `urls` of the node the producer connects to first. */
  startIndex?: number;
  readonly confirmTimes: number[] = [];
  private producer!: AlertProducer;
  private started = 0;
  done!: Promise<void>;

  constructor(
    private readonly urls: string[],
    private readonly tls: ConnectionOptions | undefined,
    private readonly prefix: string,
    private readonly n: number,
    private readonly rate: number,
  ) {}

  /** Published so far. */
  get count(): number {
    return this.started;
  }

  start(): void {
    this.producer = new AlertProducer({
      urls: this.urls,
      ...(this.tls ? { tls: this.tls } : {}),
      startIndex: this.startIndex,
      connectionName: `warren fault matrix ${this.prefix}`,
    });
    this.done = this.run();
  }

  private async run(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    const t0 = performance.now();
    const targets = ["all", ...CHANNELS];
    for (let i = 0; i < this.n; i++) {
      const due = t0 + (i * 1000) / this.rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      while (inFlight.size >= 200) await Promise.race(inFlight);
      // Deterministic mix: every severity, broadcast and addressed, so every channel has traffic.
      const severity = SEVERITIES[i % SEVERITIES.length];
      const target = targets[Math.floor(i / SEVERITIES.length) % targets.length];
      const id = `${this.prefix}-${i}`;
      const key = `${severity}.${target}`;
      const s: Sent = { key, t0: Date.now() };
      this.sent.set(id, s);
      this.started++;
      const p = this.producer
        .publish(
          {
            id,
            severity,
            title: `fault matrix ${id}`,
            source: "warren-fault-matrix",
            labels: { test: "fault-matrix" },
          },
          { channel: target === "all" ? undefined : target },
        )
        .then(
          (r) => {
            s.confirmedAt = Date.now();
            s.attempts = r.attempts;
            this.confirmTimes.push(s.confirmedAt);
          },
          (e: Error) => {
            s.error = e.message;
          },
        )
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
  }

  stats() {
    return this.producer.stats;
  }

  async close(): Promise<void> {
    await this.producer.close();
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Runs one case: sink reset, stream started, the fault once a quarter is published, the stream
 * finished, every confirmed alert awaited at every channel it routes to, then the health checks.
 * Resolves with the counts; throws only when the harness itself cannot go on.
 */
export async function runCase<S extends FaultStack>(
  stack: S,
  c: FaultCase<S>,
  round: number,
  index: number,
  opts: StreamOptions = {},
): Promise<CaseResult> {
  const n = opts.alerts ?? 1000;
  const notes: string[] = [];
  await stack.healthy();
  await stack.sink.reset();
  const routes = stack.routesOf();
  const stream = new Stream(
    stack.amqpUrls(),
    stack.amqpTls(),
    `r${round}c${index}`,
    n,
    opts.rate ?? 100,
  );
  const target = c.aim ? await c.aim(stack) : undefined;
  if (target) {
    notes.push(`target ${target}`);
    stream.startIndex = stack.nodes.indexOf(target);
  }
  stream.start();
  let faultError: unknown;
  const fault = (async () => {
    while (stream.count < n / 4) await sleep(50);
    await c.fault({ stack, target, stream, note: (l) => notes.push(l) });
  })().catch((e: unknown) => (faultError = e));
  await stream.done;
  await fault;
  const stats = stream.stats();
  await stream.close();

  // Every confirmed alert, at every channel it routes to.
  const want = new Map<string, Set<string>>(CHANNELS.map((ch) => [ch, new Set()]));
  for (const [id, s] of stream.sent)
    if (s.confirmedAt !== undefined) for (const ch of routes(s.key)) want.get(ch)!.add(id);
  const expected = [...want.values()].reduce((a, s) => a + s.size, 0);
  let got: Record<string, { id: string; t: number }[]> = {};
  const missing = () =>
    [...want].reduce(
      (a, [ch, ids]) =>
        a + [...ids].filter((id) => !(got[ch] ?? []).some((d) => d.id === id)).length,
      0,
    );
  const drainStart = Math.max(0, ...stream.confirmTimes);
  let lastDelivery = drainStart;
  try {
    await until(
      "every confirmed alert to be delivered",
      async () => {
        got = await stack.sink.deliveries();
        return missing() === 0;
      },
      240_000,
      1000,
      { tolerateErrors: true },
    );
  } catch (e) {
    notes.push((e as Error).message);
  }
  await sleep(2000); // late duplicates would have arrived by now
  got = await stack.sink.deliveries();

  const channels: Record<string, [number, number, number]> = {};
  const lostIds: Record<string, string[]> = {};
  const latencies: number[] = [];
  let delivered = 0;
  let duplicates = 0;
  let lost = 0;
  for (const ch of CHANNELS) {
    const mine = (got[ch] ?? []).filter((d) => stream.sent.has(d.id));
    const first = new Map<string, number>();
    for (const d of mine) if (!first.has(d.id)) first.set(d.id, d.t);
    const ids = want.get(ch)!;
    const lostHere = [...ids].filter((id) => !first.has(id));
    for (const [id, t] of first) {
      if (!ids.has(id)) continue;
      latencies.push(t - stream.sent.get(id)!.t0);
      lastDelivery = Math.max(lastDelivery, t);
    }
    channels[ch] = [
      ids.size,
      [...first.keys()].filter((id) => ids.has(id)).length,
      mine.length - first.size,
    ];
    if (lostHere.length) lostIds[ch] = lostHere.slice(0, 20);
    delivered += channels[ch][1];
    duplicates += channels[ch][2];
    lost += lostHere.length;
  }
  latencies.sort((a, b) => a - b);
  const failedPublishes = [...stream.sent.values()].filter((s) => s.error);
  if (failedPublishes.length)
    notes.push(
      `${failedPublishes.length} publishes failed, e.g. ${String(failedPublishes[0].error)}`,
    );
  if (faultError) notes.push(`the fault itself failed: ${(faultError as Error).message}`);
  const unhealthy = await until(
    "a health report",
    async () => ((await stack.unhealthy()) === undefined ? "" : undefined),
    180_000,
    500,
    { tolerateErrors: true },
  ).catch(async () => (await stack.unhealthy()) ?? "");
  if (unhealthy) notes.push(`not recovered: ${unhealthy}`);
  const sink = await stack.sink.status();
  if (sink.restarts !== 0)
    notes.push(`the sink restarted (${sink.restarts} times): its record cannot be trusted`);
  return {
    round,
    name: c.name,
    published: stream.count,
    confirmed: [...stream.sent.values()].filter((s) => s.confirmedAt !== undefined).length,
    republished: stats.republished,
    expected,
    delivered,
    duplicates,
    lost,
    drainMs: Math.max(0, lastDelivery - drainStart),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    channels,
    lostIds,
    notes,
  };
}

/** Problems that fail a case: any loss, any unconfirmed alert, any failed fault or recovery. */
export function problems(r: CaseResult): string[] {
  const out: string[] = [];
  if (r.lost > 0)
    out.push(`${r.lost} confirmed alerts never delivered: ${JSON.stringify(r.lostIds)}`);
  if (r.confirmed !== r.published)
    out.push(`${r.published - r.confirmed} of ${r.published} alerts never confirmed`);
  out.push(
    ...r.notes.filter((n) => !/^(target |confirms during|partitioned for|rolled in)/.test(n)),
  );
  return out;
}

/** One table row per case: the soak's and the README's format. */
export function formatTable(rows: readonly CaseResult[]): string {
  const head = [
    "round",
    "case",
    "published",
    "confirmed",
    "republished",
    "expected",
    "delivered",
    "dups",
    "lost",
    "drain s",
    "p50 ms",
    "p99 ms",
  ];
  const lines = rows.map((r) => [
    String(r.round),
    r.name.slice(0, 48),
    String(r.published),
    String(r.confirmed),
    String(r.republished),
    String(r.expected),
    String(r.delivered),
    String(r.duplicates),
    String(r.lost),
    (r.drainMs / 1000).toFixed(1),
    String(Math.round(r.p50Ms)),
    String(Math.round(r.p99Ms)),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (l: string[]) =>
    l.map((c, i) => (i === 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [fmt(head), ...lines.map(fmt)].join("\n");
}
