// Durability: alert channel queues are quorum queues (replicated, survive a node loss).
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { DEFAULTS, schema, withDefaults } from "../lib/config";
import { matches } from "../lib/regex";
import { T, objectsOf, queueType } from "../lib/resources";

export const quorumAlertQueues: ResourceValidationPolicy = {
  name: "quorum-alert-queues",
  description: "Alert channel queues are quorum queues.",
  severity: "high",
  remediationSteps:
    "Set `warren:alerting.queueType: quorum` (the default), or the channel's queueType.",
  configSchema: { properties: { channelQueuePattern: schema.channelQueuePattern } },
  validateResource: (args, report) => {
    const c = withDefaults(args.getConfig<typeof DEFAULTS>(), DEFAULTS);
    for (const { props: queue } of objectsOf(args, T.queue))
      if (matches(c.channelQueuePattern, String(queue.name)) && queueType(queue) !== "quorum")
        report(
          `alert queue "${String(queue.name)}" is a ${queueType(queue)} queue; use a quorum queue`,
        );
  },
};
