// Security: the nodes' real listener settings, read from the rabbitmq.conf warren renders for them
// (a Kubernetes ConfigMap, a Docker container's upload). A node with TLS on opens no plaintext
// AMQP or management listener; with `requireTls`, every node has TLS on.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { withDefaults } from "../lib/config";
import { renderedConfs } from "../lib/resources";

/** What a rendered rabbitmq.conf opens: TLS listeners, and plaintext ones still open. */
export function listenersOf(conf: string): { tls: string[]; plaintext: string[] } {
  const has = (re: RegExp) => re.test(conf);
  const tls = [
    ...(has(/^\s*listeners\.ssl\.\w+\s*=/m) ? ["AMQPS"] : []),
    ...(has(/^\s*management\.ssl\.port\s*=/m) ? ["management over TLS"] : []),
  ];
  const plaintext = [
    // RabbitMQ opens 5672 unless told `listeners.tcp = none`.
    ...(has(/^\s*listeners\.tcp\s*=\s*none\s*$/m) ? [] : ["AMQP"]),
    ...(has(/^\s*management\.tcp\.port\s*=/m) ? ["management over HTTP"] : []),
  ];
  return { tls, plaintext };
}

function check(conf: string, where: string, requireTls: boolean, report: (m: string) => void) {
  const { tls, plaintext } = listenersOf(conf);
  if (tls.length === 0) {
    if (requireTls)
      report(
        `${where}: TLS is off (warren:cluster.tls.mode is "off"); this environment requires it`,
      );
    return;
  }
  if (plaintext.length)
    report(
      `${where}: TLS is on but ${plaintext.join(" and ")} still listen${plaintext.length === 1 ? "s" : ""} in plaintext (warren:cluster.tls.disablePlaintext is false)`,
    );
}

export const brokerTls: ResourceValidationPolicy = {
  name: "broker-tls-only",
  description:
    "A node with TLS on opens no plaintext AMQP or management listener; with `requireTls`, TLS is on (read from the rendered rabbitmq.conf).",
  severity: "critical",
  remediationSteps:
    "Set warren:cluster.tls to {mode: generate} (disablePlaintext stays true); see README, `warren:cluster.tls`.",
  configSchema: { properties: { requireTls: { type: "boolean", default: false } } },
  validateResource: (args, report) => {
    const { requireTls } = withDefaults(args.getConfig<{ requireTls: boolean }>(), {
      requireTls: false,
    });
    for (const { conf, where } of renderedConfs(args)) check(conf, where, requireTls, report);
  },
};
