// Security: a producer that may write to a topic exchange is limited by topic permissions.
import type { StackValidationPolicy } from "@pulumi/policy";
import { DEFAULTS, schema, withDefaults } from "../lib/config";
import { matches } from "../lib/regex";
import { T } from "../lib/resources";

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
    const topicExchanges = args.resources
      .filter((r) => r.type === T.exchange && r.props.settings?.type === "topic")
      .map((r) => ({ vhost: r.props.vhost as string, name: r.props.name as string }));
    const limited = new Set(
      args.resources
        .filter((r) => r.type === T.topicPermissions)
        .flatMap((r) =>
          (r.props.permissions as { exchange: string }[]).map(
            (p) => `${r.props.user}@${r.props.vhost}/${p.exchange}`,
          ),
        ),
    );
    for (const p of args.resources.filter(
      (r) => r.type === T.permissions && c.producerUsers.includes(r.props.user),
    )) {
      for (const x of topicExchanges.filter(
        (x) => x.vhost === p.props.vhost && matches(p.props.permissions.write, x.name),
      ))
        if (!limited.has(`${p.props.user}@${x.vhost}/${x.name}`))
          report(
            `producer "${p.props.user}" may write to topic exchange "${x.name}" in vhost "${x.vhost}" without topic permissions`,
            p.urn,
          );
    }
  },
};
