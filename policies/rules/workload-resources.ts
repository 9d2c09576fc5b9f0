// Cluster and consumers: every container of a RabbitMQ node or an alert consumer has CPU and
// memory requests and limits (no noisy neighbour, no eviction surprises).
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { T, isConsumerWorkload, isRabbitWorkload, podSpec } from "../lib/resources";

export const workloadResources: ResourceValidationPolicy = {
  name: "resource-requests-and-limits",
  description: "RabbitMQ and consumer containers set CPU and memory requests and limits.",
  severity: "medium",
  remediationSteps: "Set `resources` in warren:cluster and in each consumer's config.",
  validateResource: (args, report) => {
    if (args.type !== T.statefulSet && args.type !== T.deployment) return;
    if (!isRabbitWorkload(args.props) && !isConsumerWorkload(args.props)) return;
    for (const c of (podSpec(args.props)?.containers ?? []) as {
      name: string;
      resources?: Record<string, Record<string, string>>;
    }[]) {
      const missing = ["requests", "limits"].flatMap((k) =>
        ["cpu", "memory"].filter((r) => !c.resources?.[k]?.[r]).map((r) => `${k}.${r}`),
      );
      if (missing.length)
        report(
          `container "${c.name}" of "${args.props.metadata?.name ?? args.name}" has no ${missing.join(", ")}`,
        );
    }
  },
};
