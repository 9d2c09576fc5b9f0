// Every severity x channel, broadcast and addressed, published as the producer and awaited at the
// sink: the end-to-end tests' delivery check, on any runtime.
import { AlertProducer } from "../../apps/producer/src/producer";
import { CHANNELS, SEVERITIES } from "./devstack";
import type { FaultStack } from "./fault-matrix";
import { sleep, until } from "./wait";

export interface Delivered {
  /** Per channel, the ids `warren routes` says it gets, sorted. */
  readonly want: Record<string, string[]>;
  /** Per channel, the ids of this prefix the sink received (duplicates kept), sorted. */
  readonly got: Record<string, string[]>;
}

/** Publishes `<prefix>-<severity>-<target>` for every severity x (all, each channel); awaits them. */
export async function deliverEveryRoute(
  stack: Pick<FaultStack, "amqpUrls" | "amqpTls" | "routesOf" | "sink">,
  prefix: string,
  timeoutMs = 120_000,
): Promise<Delivered> {
  const routes = stack.routesOf();
  const alerts = SEVERITIES.flatMap((s) =>
    ["all", ...CHANNELS].map((c) => ({
      id: `${prefix}-${s}-${c}`,
      key: `${s}.${c}`,
      target: c,
      severity: s,
    })),
  );
  const tls = stack.amqpTls();
  const producer = new AlertProducer({ urls: stack.amqpUrls(), ...(tls ? { tls } : {}) });
  try {
    for (const a of alerts)
      await producer.publish(
        {
          id: a.id,
          severity: a.severity,
          title: `e2e ${a.id}`,
          source: "e2e",
          labels: { test: "e2e" },
        },
        { channel: a.target === "all" ? undefined : a.target },
      );
  } finally {
    await producer.close();
  }
  const want: Record<string, string[]> = Object.fromEntries(CHANNELS.map((c) => [c, []]));
  for (const a of alerts) for (const c of routes(a.key)) want[c].push(a.id);
  const has = (got: Record<string, { id: string }[]>) =>
    Object.entries(want).every(([c, ids]) =>
      ids.every((id) => (got[c] ?? []).some((d) => d.id === id)),
    );
  await until(
    "every alert to be delivered",
    async () => has(await stack.sink.deliveries()),
    timeoutMs,
    500,
    {
      tolerateErrors: true,
    },
  );
  await sleep(2000); // anything extra would have arrived by now
  const all = await stack.sink.deliveries();
  const got = Object.fromEntries(
    CHANNELS.map((c) => [
      c,
      (all[c] ?? [])
        .map((d) => d.id)
        .filter((id) => id.startsWith(`${prefix}-`))
        .sort(),
    ]),
  );
  for (const c of CHANNELS) want[c].sort();
  return { want, got };
}
