// Security: a producer that may write to a topic exchange is limited by topic permissions.
import type { StackValidationPolicy } from "@pulumi/policy";
import { DEFAULTS, schema, withDefaults } from "../lib/config";
import { matches } from "../lib/regex";
import { T, ofType } from "../lib/resources";

export const producerTopicPermissions: StackValidationPolicy = {
  name: "topic-permissions-for-producers",
  description:
    "Producers that write to a topic exchange have topic permissions limiting their routing keys on it.",
  severity: "high",
  remediationSteps:
    "Add topicPermissions for the producer on the exchange, with a write pattern of the valid routing keys.",
  configSchema: { properties: { producerUsers: schema.producerUsers } },
  validateStack: (args, report) => {
    const c = withDefaults(args.getConfig<typeof DEFAULTS>(), DEFAULTS);
    const topicExchanges = ofType(args.resources, T.exchange)
      .filter((r) => r.props.settings?.type === "topic")
      .map((r) => ({ vhost: r.props.vhost, name: r.props.name }));
    const limited = new Set(
      ofType(args.resources, T.topicPermissions).flatMap((r) =>
        r.props.permissions.map((p) => `${r.props.user}@${String(r.props.vhost)}/${p.exchange}`),
      ),
    );
    for (const p of ofType(args.resources, T.permissions).filter((r) =>
      c.producerUsers.includes(r.props.user),
    )) {
      for (const x of topicExchanges.filter(
        (x) => x.vhost === p.props.vhost && matches(p.props.permissions.write, String(x.name)),
      ))
        if (!limited.has(`${p.props.user}@${String(x.vhost)}/${String(x.name)}`))
          report(
            `producer "${p.props.user}" may write to topic exchange "${String(x.name)}" in vhost "${String(x.vhost)}" without topic permissions`,
            p.urn,
          );
    }
  },
};
