// Cluster: nodes have a memory high watermark and a free-disk limit (the production checklist),
// so a flood of alerts blocks publishers instead of crashing the node.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { T } from "../lib/resources";

function check(conf: string, where: string, report: (m: string) => void) {
  if (!/^\s*vm_memory_high_watermark\.(relative|absolute)\s*=/m.test(conf))
    report(`${where}: rabbitmq.conf sets no vm_memory_high_watermark`);
  if (!/^\s*disk_free_limit\.(relative|absolute)\s*=/m.test(conf))
    report(`${where}: rabbitmq.conf sets no disk_free_limit`);
}

export const memoryAndDisk: ResourceValidationPolicy = {
  name: "memory-watermark-and-disk-limit",
  description: "Every rendered rabbitmq.conf sets vm_memory_high_watermark and disk_free_limit.",
  severity: "medium",
  remediationSteps:
    "Keep warren's rendered rabbitmq.conf (warren:cluster.memoryHighWatermark and diskFreeLimit).",
  validateResource: (args, report) => {
    if (args.type === T.configMap) {
      const conf = args.props.data?.["rabbitmq.conf"];
      if (typeof conf === "string")
        check(conf, `configmap "${args.props.metadata?.name ?? args.name}"`, report);
    }
    if (args.type === T.container) {
      for (const u of (args.props.uploads ?? []) as { file: string; content?: string }[])
        if (u.file.endsWith("/rabbitmq.conf") && typeof u.content === "string")
          check(u.content, `container "${args.props.name}"`, report);
    }
  },
};
