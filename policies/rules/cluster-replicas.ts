// Cluster: an odd number of RabbitMQ nodes (quorum queues and pause_minority need a majority),
// and enough of them.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { withDefaults } from "../lib/config";
import { T, isRabbitWorkload, propsOf } from "../lib/resources";

export const clusterReplicas: ResourceValidationPolicy = {
  name: "odd-cluster-replicas",
  description: "RabbitMQ clusters have an odd number of nodes, at least `minReplicas`.",
  severity: "high",
  remediationSteps: "Set `warren:cluster.replicas` to 3 or 5 (at least 3 in prod).",
  configSchema: { properties: { minReplicas: { type: "integer", minimum: 1, default: 1 } } },
  validateResource: (args, report) => {
    const sts = propsOf(args, T.statefulSet);
    if (!sts || !isRabbitWorkload(sts)) return;
    const { minReplicas } = withDefaults(args.getConfig<{ minReplicas: number }>(), {
      minReplicas: 1,
    });
    const n = sts.spec?.replicas ?? 1;
    const name = sts.metadata?.name ?? args.name;
    if (n % 2 === 0) report(`RabbitMQ statefulset "${name}" has an even number of replicas (${n})`);
    if (n < minReplicas)
      report(`RabbitMQ statefulset "${name}" has ${n} replicas; at least ${minReplicas} required`);
  },
};
