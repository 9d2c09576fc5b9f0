// Routing: an alert that no channel takes is kept (in the unrouted queue), never dropped.
import type { StackValidationPolicy } from "@pulumi/policy";
import { DEFAULTS, schema, withDefaults } from "../lib/config";
import { T, ofType } from "../lib/resources";

export const alertsAlternateExchange: StackValidationPolicy = {
  name: "alerts-exchange-has-alternate",
  description: "The alerts exchange has an alternate exchange, so unroutable alerts are kept.",
  severity: "high",
  remediationSteps: "Keep warren's alerting expansion (alternate exchange `alerts.unrouted`).",
  configSchema: { properties: { alertsExchange: schema.alertsExchange } },
  validateStack: (args, report) => {
    const c = withDefaults(args.getConfig<typeof DEFAULTS>(), DEFAULTS);
    for (const x of ofType(args.resources, T.exchange).filter(
      (r) => r.props.name === c.alertsExchange,
    ))
      if (!x.props.settings?.arguments?.["alternate-exchange"])
        report(
          `alerts exchange "${c.alertsExchange}" in vhost "${String(x.props.vhost)}" has no alternate exchange: unroutable alerts would be dropped`,
          x.urn,
        );
  },
};
