// The alert routing matrix (severity → channels that receive it), computed by running the routing
// simulator over the expanded topology: what `warren routes` prints and the stack exports.
import { RoutingTable } from "../topology/routing";
import type { TopologySpec } from "../topology/spec";
import { type AlertingSpec, addressedKey, broadcastKey } from "./model";

export interface AlertRoutes {
  /** For each severity, the channels an alert published with `<severity>.all` reaches. */
  readonly broadcast: Readonly<Record<string, readonly string[]>>;
  /** For each severity, the channels that can be addressed directly with `<severity>.<channel>`. */
  readonly addressable: Readonly<Record<string, readonly string[]>>;
}

export function alertRoutes(alerting: AlertingSpec, topology: TopologySpec): AlertRoutes {
  const table = new RoutingTable(topology);
  // Channels in config order, not in the simulator's sorted queue order.
  const channelsFor = (routingKey: string) => {
    const queues = new Set(
      table.route({ vhost: alerting.vhost, exchange: alerting.exchange, routingKey }),
    );
    return alerting.channels.filter((c) => queues.has(c.queue)).map((c) => c.name);
  };
  const broadcast: Record<string, string[]> = {};
  const addressable: Record<string, string[]> = {};
  for (const s of alerting.severities) {
    broadcast[s] = channelsFor(broadcastKey(s));
    addressable[s] = alerting.channels
      .filter((c) => channelsFor(addressedKey(s, c.name)).includes(c.name))
      .map((c) => c.name);
  }
  return { broadcast, addressable };
}

/** A fixed-width table: one row per severity, one column per channel, `x` where it is delivered. */
export function formatRoutes(alerting: AlertingSpec, routes: AlertRoutes): string {
  const names = alerting.channels.map((c) => c.name);
  const first = Math.max("severity".length, ...alerting.severities.map((s) => s.length));
  const widths = names.map((n) => Math.max(n.length, 1));
  const row = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(first) : c.padEnd(widths[i - 1])))
      .join("  ")
      .trimEnd();
  const lines = [row(["severity", ...names])];
  for (const s of alerting.severities)
    lines.push(row([s, ...names.map((n) => (routes.broadcast[s].includes(n) ? "x" : "-"))]));
  return lines.join("\n");
}
