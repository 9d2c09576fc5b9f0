// Security: AMQP and management are not exposed outside the cluster/host without TLS and an
// allowlist of source addresses.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { T } from "../lib/resources";

const PLAIN = new Map([
  [5672, "AMQP"],
  [15672, "management"],
]);
const TLS = new Map([
  [5671, "AMQPS"],
  [15671, "management (TLS)"],
]);

export const noExposureWithoutTls: ResourceValidationPolicy = {
  name: "no-exposure-without-tls",
  description:
    "Broker services of type LoadBalancer/NodePort, and Docker ports, are TLS-only with a source allowlist; Docker publishes on 127.0.0.1 only.",
  severity: "critical",
  remediationSteps:
    "Keep services ClusterIP (reach management through an ingress or port-forward), or expose only TLS ports with loadBalancerSourceRanges.",
  validateResource: (args, report) => {
    if (args.type === T.service) {
      const spec = args.props.spec ?? {};
      if (spec.type !== "LoadBalancer" && spec.type !== "NodePort") return;
      const svc = args.props.metadata?.name ?? args.name;
      for (const port of (spec.ports ?? []) as { port: number; targetPort?: number }[]) {
        const target = typeof port.targetPort === "number" ? port.targetPort : port.port;
        if (PLAIN.has(target))
          report(
            `service "${svc}" exposes ${PLAIN.get(target)} (port ${target}) without TLS as ${spec.type}`,
          );
        else if (TLS.has(target) && !(spec.loadBalancerSourceRanges ?? []).length)
          report(
            `service "${svc}" exposes ${TLS.get(target)} (port ${target}) as ${spec.type} without loadBalancerSourceRanges`,
          );
      }
    }
    if (args.type === T.container) {
      for (const p of (args.props.ports ?? []) as {
        internal: number;
        external?: number;
        ip?: string;
      }[]) {
        const what = PLAIN.get(p.internal) ?? TLS.get(p.internal);
        if (what && p.ip !== "127.0.0.1")
          report(
            `container "${args.props.name}" publishes ${what} (port ${p.internal}) on ${p.ip ?? "0.0.0.0"}; publish on 127.0.0.1 only`,
          );
      }
    }
  },
};
