// Durability: alert channel queues are quorum queues (replicated, survive a node loss).
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { DEFAULTS, schema, withDefaults } from "../lib/config";
import { matches } from "../lib/regex";
import { T, queueType } from "../lib/resources";

export const quorumAlertQueues: ResourceValidationPolicy = {
  name: "quorum-alert-queues",
  description: "Alert channel queues are quorum queues.",
  severity: "high",
  remediationSteps:
    "Set `warren:alerting.queueType: quorum` (the default), or the channel's queueType.",
  configSchema: { properties: { channelQueuePattern: schema.channelQueuePattern } },
  validateResource: (args, report) => {
    if (args.type !== T.queue) return;
    const c = withDefaults(args.getConfig<typeof DEFAULTS>(), DEFAULTS);
    if (matches(c.channelQueuePattern, args.props.name) && queueType(args.props) !== "quorum")
      report(
        `alert queue "${args.props.name}" is a ${queueType(args.props)} queue; use a quorum queue`,
      );
  },
};
