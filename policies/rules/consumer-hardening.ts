// Consumers: probes, and a restricted security context (non-root, read-only root filesystem, no
// privilege escalation).
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { T, isConsumerWorkload, podSpec, propsOf } from "../lib/resources";

export const consumerHardening: ResourceValidationPolicy = {
  name: "consumer-hardening",
  description:
    "Alert consumers have readiness and liveness probes, run as non-root with a read-only root filesystem and no privilege escalation.",
  severity: "high",
  remediationSteps:
    "Use warren:alerting:Consumers, which sets the probes and the restricted security context.",
  validateResource: (args, report) => {
    const deployment = propsOf(args, T.deployment);
    if (!deployment || !isConsumerWorkload(deployment)) return;
    const pod = podSpec(deployment);
    const name = deployment.metadata?.name ?? args.name;
    for (const c of pod?.containers ?? []) {
      const sc = { ...(pod?.securityContext ?? {}), ...(c.securityContext ?? {}) };
      const where = `container "${c.name}" of consumer "${name}"`;
      if (!c.readinessProbe) report(`${where} has no readiness probe`);
      if (!c.livenessProbe) report(`${where} has no liveness probe`);
      if (sc.runAsNonRoot !== true) report(`${where} may run as root (set runAsNonRoot: true)`);
      if (sc.readOnlyRootFilesystem !== true) report(`${where} has a writable root filesystem`);
      if (sc.allowPrivilegeEscalation !== false) report(`${where} allows privilege escalation`);
    }
  },
};
