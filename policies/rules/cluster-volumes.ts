// Cluster: node data and logs live on persistent volumes of their own (no emptyDir).
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { T, isRabbitWorkload, podSpec, propsOf } from "../lib/resources";

export const clusterVolumes: ResourceValidationPolicy = {
  name: "persistent-data-and-log-volumes",
  description:
    "RabbitMQ nodes keep data and logs on separate persistent volume claims, never emptyDir.",
  severity: "high",
  remediationSteps:
    "Use warren:rabbitmq:KubernetesCluster, which declares data and log PVC templates.",
  validateResource: (args, report) => {
    const sts = propsOf(args, T.statefulSet);
    if (!sts || !isRabbitWorkload(sts)) return;
    const name = sts.metadata?.name ?? args.name;
    const templates = (sts.spec?.volumeClaimTemplates ?? []).map((t) => t.metadata?.name);
    if (templates.length < 2)
      report(
        `RabbitMQ statefulset "${name}" needs separate volume claim templates for data and logs (has: ${templates.join(", ") || "none"})`,
      );
    for (const v of podSpec(sts)?.volumes ?? [])
      if (v.emptyDir !== undefined && /data|log|mnesia/i.test(v.name))
        report(`RabbitMQ statefulset "${name}" keeps "${v.name}" on an emptyDir`);
  },
};
