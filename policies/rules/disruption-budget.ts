// Cluster: voluntary disruptions (node drains, upgrades) take at most one RabbitMQ node at a time.
import type { StackValidationPolicy } from "@pulumi/policy";
import { T, isRabbitWorkload, ofType } from "../lib/resources";

export const disruptionBudget: StackValidationPolicy = {
  name: "cluster-disruption-budget",
  description: "Every RabbitMQ statefulset has a PodDisruptionBudget selecting its pods.",
  severity: "medium",
  remediationSteps:
    "Use warren:rabbitmq:KubernetesCluster, which declares a PodDisruptionBudget with maxUnavailable 1.",
  validateStack: (args, report) => {
    const budgets = ofType(args.resources, T.pdb);
    for (const s of ofType(args.resources, T.statefulSet).filter((r) =>
      isRabbitWorkload(r.props),
    )) {
      const labels = s.props.spec?.template?.metadata?.labels ?? {};
      const ns = s.props.metadata?.namespace;
      const covered = budgets.some((b) => {
        const sel = b.props.spec?.selector?.matchLabels ?? {};
        return (
          b.props.metadata?.namespace === ns &&
          Object.keys(sel).length > 0 &&
          Object.entries(sel).every(([k, v]) => labels[k] === v)
        );
      });
      if (!covered)
        report(
          `RabbitMQ statefulset "${s.props.metadata?.name ?? s.name}" has no PodDisruptionBudget`,
          s.urn,
        );
    }
  },
};
