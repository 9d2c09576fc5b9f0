// Consumers: the channels that wake people up (sms, phone) keep delivering while one consumer
// restarts.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { withDefaults } from "../lib/config";
import { T, isConsumerWorkload } from "../lib/resources";

export const pagingReplicas: ResourceValidationPolicy = {
  name: "paging-consumer-replicas",
  description: "Consumers of the paging channels run at least `minReplicas` replicas.",
  severity: "high",
  remediationSteps: "Set `replicas: 2` or more for the sms and phone consumers.",
  configSchema: {
    properties: {
      channels: { type: "array", items: { type: "string" }, default: ["sms", "phone"] },
      minReplicas: { type: "integer", minimum: 1, default: 1 },
    },
  },
  validateResource: (args, report) => {
    if (args.type !== T.deployment || !isConsumerWorkload(args.props)) return;
    const c = withDefaults(args.getConfig<{ channels: string[]; minReplicas: number }>(), { channels: ["sms", "phone"], minReplicas: 1 });
    const channel = args.props.metadata?.labels?.["warren.dev/channel"];
    const n = args.props.spec?.replicas ?? 1;
    if (c.channels.includes(channel) && n < c.minReplicas)
      report(`consumer of channel "${channel}" runs ${n} replica${n === 1 ? "" : "s"}; at least ${c.minReplicas} required`);
  },
};
