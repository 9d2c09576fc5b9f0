// Consumers: the channels that wake people up (sms, phone) keep delivering while one consumer
// restarts. An autoscaled consumer counts its HorizontalPodAutoscaler's minimum.
import type { StackValidationPolicy } from "@pulumi/policy";
import { withDefaults } from "../lib/config";
import { T, isConsumerWorkload, ofType } from "../lib/resources";

export const pagingReplicas: StackValidationPolicy = {
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
  validateStack: (args, report) => {
    const c = withDefaults(args.getConfig<{ channels: string[]; minReplicas: number }>(), {
      channels: ["sms", "phone"],
      minReplicas: 1,
    });
    const hpas = ofType(args.resources, T.hpa);
    for (const d of ofType(args.resources, T.deployment).filter((r) =>
      isConsumerWorkload(r.props),
    )) {
      const channel = d.props.metadata?.labels?.["warren.dev/channel"];
      if (channel === undefined || !c.channels.includes(channel)) continue;
      const hpa = hpas.find(
        (h) =>
          h.props.spec?.scaleTargetRef?.kind === "Deployment" &&
          h.props.spec?.scaleTargetRef?.name === d.props.metadata?.name &&
          h.props.metadata?.namespace === d.props.metadata?.namespace,
      );
      const n = hpa ? (hpa.props.spec?.minReplicas ?? 1) : (d.props.spec?.replicas ?? 1);
      if (n < c.minReplicas)
        report(
          `consumer of channel "${channel}" runs ${n} replica${n === 1 ? "" : "s"}; at least ${c.minReplicas} required`,
          d.urn,
        );
    }
  },
};
