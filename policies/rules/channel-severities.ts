// Routing: a channel that takes a severity takes every higher one (an `error` pager that misses
// `critical` alerts is a broken pager), checked with warren's routing simulator on the declared
// exchanges, bindings and policies.
import type { StackValidationPolicy } from "@pulumi/policy";
import { RoutingTable } from "../../components/topology/routing";
import { DEFAULTS, schema, withDefaults } from "../lib/config";
import { matches } from "../lib/regex";
import { T, ofType } from "../lib/resources";
import { topologyOf } from "../lib/topology";

type Config = typeof DEFAULTS & { minSeverities: Record<string, string> };

export const channelSeverities: StackValidationPolicy = {
  name: "channels-receive-higher-severities",
  description:
    "Every alert channel receives every severity at or above the lowest one it receives (and the minimums given in config).",
  severity: "critical",
  remediationSteps:
    "Bind the channel queue for every severity from its minSeverity up (warren's alerting expansion does).",
  configSchema: {
    properties: {
      alertsExchange: schema.alertsExchange,
      channelQueuePattern: schema.channelQueuePattern,
      severities: schema.severities,
      minSeverities: { type: "object", additionalProperties: { type: "string" }, default: {} },
    },
  },
  validateStack: (args, report) => {
    const c = withDefaults<Config>(args.getConfig<Config>(), { ...DEFAULTS, minSeverities: {} });
    const exchanges = ofType(args.resources, T.exchange).filter(
      (r) => r.props.name === c.alertsExchange,
    );
    if (!exchanges.length) return;
    const table = new RoutingTable(topologyOf(args.resources));
    for (const x of exchanges) {
      const vhost = x.props.vhost as string;
      const channels = ofType(args.resources, T.queue).filter(
        (r) => r.props.vhost === vhost && matches(c.channelQueuePattern, String(r.props.name)),
      );
      for (const q of channels) {
        const received = c.severities.filter((s) =>
          table
            .route({ vhost, exchange: c.alertsExchange, routingKey: `${s}.all` })
            .includes(q.props.name as string),
        );
        const channel = (q.props.name as string).slice(c.alertsExchange.length + 1);
        const lowest = c.minSeverities[channel] ?? received[0];
        if (lowest === undefined) {
          report(`channel queue "${String(q.props.name)}" receives no severity`, q.urn);
          continue;
        }
        const missing = c.severities
          .slice(c.severities.indexOf(lowest))
          .filter((s) => !received.includes(s));
        const why = c.minSeverities[channel] ? `its minimum is ${lowest}` : `it receives ${lowest}`;
        if (missing.length)
          report(
            `channel queue "${String(q.props.name)}" does not receive ${missing.join(", ")} (${why})`,
            q.urn,
          );
      }
    }
  },
};
