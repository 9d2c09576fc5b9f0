// Cluster: nodes have a memory high watermark and a free-disk limit (the production checklist),
// so a flood of alerts blocks publishers instead of crashing the node.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { renderedConfs } from "../lib/resources";

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
    for (const { conf, where } of renderedConfs(args)) check(conf, where, report);
  },
};
