// Security: AMQP and management are not exposed outside the cluster/host without TLS and an
// allowlist of source addresses.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { T, propsOf } from "../lib/resources";

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
    const service = propsOf(args, T.service);
    if (service) {
      const spec = service.spec ?? {};
      if (spec.type !== "LoadBalancer" && spec.type !== "NodePort") return;
      const svc = service.metadata?.name ?? args.name;
      for (const port of spec.ports ?? []) {
        const target = typeof port.targetPort === "number" ? port.targetPort : port.port;
        const plain = PLAIN.get(target);
        const tls = TLS.get(target);
        if (plain !== undefined)
          report(`service "${svc}" exposes ${plain} (port ${target}) without TLS as ${spec.type}`);
        else if (tls !== undefined && !(spec.loadBalancerSourceRanges ?? []).length)
          report(
            `service "${svc}" exposes ${tls} (port ${target}) as ${spec.type} without loadBalancerSourceRanges`,
          );
      }
    }
    const container = propsOf(args, T.container);
    if (container) {
      for (const p of container.ports ?? []) {
        const what = PLAIN.get(p.internal) ?? TLS.get(p.internal);
        if (what && p.ip !== "127.0.0.1")
          report(
            `container "${String(container.name)}" publishes ${what} (port ${p.internal}) on ${p.ip ?? "0.0.0.0"}; publish on 127.0.0.1 only`,
          );
      }
    }
  },
};
