// What a change does to alert delivery: the severity × channel matrix on both sides (the routing
// simulator over each expanded topology), the pairs that gain or lose delivery, and the routing
// keys of the alerting convention that become, or stop being, unroutable.
import { type AlertRoutes, alertRoutes } from "../components/alerting/matrix";
import {
  type AlertingSpec,
  BROADCAST,
  addressedKey,
  broadcastKey,
} from "../components/alerting/model";
import type { WarrenSpec } from "../components/config/spec";
import { RoutingTable } from "../components/topology/routing";

export interface SideRoutes {
  readonly alerting: AlertingSpec;
  readonly routes: AlertRoutes;
}

/** A (severity, channel) pair and the routing keys that gained or lost delivery to the channel. */
export interface PairChange {
  readonly severity: string;
  readonly channel: string;
  readonly keys: readonly string[];
}

/** A routing key and the queues it reaches on the side that counts (empty: dropped). */
export interface KeyChange {
  readonly key: string;
  readonly queues: readonly string[];
}

export interface RoutingEffect {
  readonly before?: SideRoutes;
  readonly after?: SideRoutes;
  /** Severities and channels of both sides, the new side's order first. */
  readonly severities: readonly string[];
  readonly channels: readonly string[];
  /** `vhost/exchange` producers publish to, when it changes. */
  readonly entry?: { readonly before: string; readonly after: string };
  readonly lost: readonly PairChange[];
  readonly gained: readonly PairChange[];
  /** Keys that reached a channel before and reach none now, with where they land now. */
  readonly becameUnroutable: readonly KeyChange[];
  /** Keys that reached no channel before and reach one now, with the queues they reach now. */
  readonly noLongerUnroutable: readonly KeyChange[];
}

function side(spec: WarrenSpec | undefined): SideRoutes | undefined {
  return spec?.alerting
    ? { alerting: spec.alerting, routes: alertRoutes(spec.alerting, spec.topology) }
    : undefined;
}

const union = (a: readonly string[], b: readonly string[]) => [
  ...a,
  ...b.filter((x) => !a.includes(x)),
];

/** The keys by which `severity` alerts reach `channel` on one side. */
export function deliveringKeys(
  s: SideRoutes | undefined,
  severity: string,
  channel: string,
): string[] {
  if (!s) return [];
  return [
    ...((s.routes.broadcast[severity] ?? []).includes(channel) ? [broadcastKey(severity)] : []),
    ...((s.routes.addressable[severity] ?? []).includes(channel)
      ? [addressedKey(severity, channel)]
      : []),
  ];
}

export function routingEffect(
  before: WarrenSpec | undefined,
  after: WarrenSpec,
): RoutingEffect | undefined {
  const b = side(before);
  const a = side(after);
  if (!a && !b) return undefined;
  const severities = union(a?.alerting.severities ?? [], b?.alerting.severities ?? []);
  const channels = union(
    a?.alerting.channels.map((c) => c.name) ?? [],
    b?.alerting.channels.map((c) => c.name) ?? [],
  );

  const lost: PairChange[] = [];
  const gained: PairChange[] = [];
  for (const severity of severities) {
    for (const channel of channels) {
      const was = deliveringKeys(b, severity, channel);
      const is = deliveringKeys(a, severity, channel);
      const gone = was.filter((k) => !is.includes(k));
      const come = is.filter((k) => !was.includes(k));
      if (gone.length) lost.push({ severity, channel, keys: gone });
      if (come.length) gained.push({ severity, channel, keys: come });
    }
  }

  const becameUnroutable: KeyChange[] = [];
  const noLongerUnroutable: KeyChange[] = [];
  let entry: RoutingEffect["entry"];
  if (a && b) {
    const where = (s: SideRoutes) => `${s.alerting.vhost}/${s.alerting.exchange}`;
    if (where(a) !== where(b)) entry = { before: where(b), after: where(a) };
    const table = (s: SideRoutes, spec: WarrenSpec) => {
      const t = new RoutingTable(spec.topology);
      const channelQueues = new Set(s.alerting.channels.map((c) => c.queue));
      return (key: string) => {
        const queues = t.route({
          vhost: s.alerting.vhost,
          exchange: s.alerting.exchange,
          routingKey: key,
        });
        return { queues, routable: queues.some((q) => channelQueues.has(q)) };
      };
    };
    const routeBefore = table(b, before!);
    const routeAfter = table(a, after);
    for (const severity of severities) {
      for (const word of [BROADCAST, ...channels]) {
        const key = `${severity}.${word}`;
        const was = routeBefore(key);
        const is = routeAfter(key);
        if (was.routable && !is.routable) becameUnroutable.push({ key, queues: is.queues });
        if (!was.routable && is.routable) noLongerUnroutable.push({ key, queues: is.queues });
      }
    }
  }
  return {
    before: b,
    after: a,
    severities,
    channels,
    entry,
    lost,
    gained,
    becameUnroutable,
    noLongerUnroutable,
  };
}
