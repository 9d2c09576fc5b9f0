// Cluster and consumers: every container of a RabbitMQ node or an alert consumer has CPU and
// memory requests and limits (no noisy neighbour, no eviction surprises).
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { T, isConsumerWorkload, isRabbitWorkload, podSpec, propsOf } from "../lib/resources";

export const workloadResources: ResourceValidationPolicy = {
  name: "resource-requests-and-limits",
  description: "RabbitMQ and consumer containers set CPU and memory requests and limits.",
  severity: "medium",
  remediationSteps: "Set `resources` in warren:cluster and in each consumer's config.",
  validateResource: (args, report) => {
    const workload = propsOf(args, T.statefulSet, T.deployment);
    if (!workload) return;
    if (!isRabbitWorkload(workload) && !isConsumerWorkload(workload)) return;
    for (const c of podSpec(workload)?.containers ?? []) {
      const missing = (["requests", "limits"] as const).flatMap((k) =>
        ["cpu", "memory"].filter((r) => !c.resources?.[k]?.[r]).map((r) => `${k}.${r}`),
      );
      if (missing.length)
        report(
          `container "${c.name}" of "${workload.metadata?.name ?? args.name}" has no ${missing.join(", ")}`,
        );
    }
  },
};
