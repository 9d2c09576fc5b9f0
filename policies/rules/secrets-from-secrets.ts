// Security: the Erlang cookie, passwords and AMQP URLs reach workloads from Secrets, never as
// literal values in env vars, ConfigMaps or container environments.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { T, containersOf, propsOf } from "../lib/resources";

const SECRET_NAME = /COOKIE|PASSWORD|PASSWD|_PASS$|AMQP_URL|TOKEN|SECRET/i;
const CREDENTIALS_IN_URL = /amqps?:\/\/[^:/@\s]+:[^@\s]+@/;

export const secretsFromSecrets: ResourceValidationPolicy = {
  name: "secrets-from-secret-store",
  description:
    "The Erlang cookie and passwords come from Secrets (secretKeyRef or mounted files), never from literal values.",
  severity: "critical",
  remediationSteps:
    "Use env valueFrom.secretKeyRef or a mounted Secret file (`*_FILE` variables); keep ConfigMaps free of credentials.",
  validateResource: (args, report) => {
    const workload = propsOf(args, T.statefulSet, T.deployment);
    if (workload) {
      for (const c of containersOf(workload))
        for (const e of c.env ?? [])
          // `<NAME>_FILE` holds the path of a mounted secret, not the secret.
          if (
            e.value !== undefined &&
            ((SECRET_NAME.test(e.name) && !e.name.endsWith("_FILE")) ||
              CREDENTIALS_IN_URL.test(e.value))
          )
            report(
              `container "${c.name}" sets ${e.name} to a literal value; take it from a Secret`,
            );
    }
    const configMap = propsOf(args, T.configMap);
    if (configMap) {
      for (const [key, value] of Object.entries(configMap.data ?? {}))
        if (
          /cookie/i.test(key) ||
          /^\s*default_pass\s*=/m.test(value) ||
          CREDENTIALS_IN_URL.test(value)
        )
          report(
            `configmap "${configMap.metadata?.name ?? args.name}" holds credentials in "${key}"; use a Secret`,
          );
    }
    const container = propsOf(args, T.container);
    if (container) {
      for (const e of container.envs ?? []) {
        const [name, ...rest] = e.split("=");
        const value = rest.join("=");
        if ((SECRET_NAME.test(name) && !name.endsWith("_FILE")) || CREDENTIALS_IN_URL.test(value))
          report(
            `container "${String(container.name)}" sets ${name} in its environment; mount it as a file instead`,
          );
      }
    }
  },
};
