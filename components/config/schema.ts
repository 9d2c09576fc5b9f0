// The shape of the `warren:*` stack config: each domain's schema (topology, cluster, alerting,
// consumers) assembled under its key, plus the runtime keys; strict (unknown keys are errors),
// with the defaults documented in README. Cross-object rules live in the domains' validate files.
import { z } from "zod";
import { alertingSchema } from "../alerting/schema";
import { consumersSchema } from "../alerting/consumers-schema";
import { clusterSchema } from "../cluster/schema";
import { ENVIRONMENTS } from "../core/environment";
import { secretValue } from "../core/secret";
import { name, topologySchema } from "../topology/schema";

export const brokerSchema = z
  .object({
    managementUrl: z.string().url("must be a URL such as http://127.0.0.1:15672"),
    username: name,
    /** Secret. Optional in the stack file (`npm run up` sets it per machine); required to run. */
    password: secretValue.optional(),
    insecure: z.boolean().default(false),
  })
  .strict();

export const RUNTIMES = ["external", "docker", "kubernetes"] as const;
export type Runtime = (typeof RUNTIMES)[number];

/** The Docker runtime: where the nodes' ports are published (always on 127.0.0.1). */
export const dockerSchema = z
  .object({
    /** Docker network of the nodes (and consumers). @default "warren-<stack>" */
    network: name.optional(),
    /** Host port of node 1's management API; node i gets this + i - 1. @default 15672 */
    managementPort: z.number().int().min(1024).max(65535).default(15672),
    /** Host port of node 1's AMQP listener; node i gets this + i - 1. @default 5672 */
    amqpPort: z.number().int().min(1024).max(65535).default(5672),
    /** Keep the node volumes (data and logs) when the stack is destroyed. @default false */
    retainVolumes: z.boolean().default(false),
    /**
     * A local sink standing in for every alert target (apps/sink, host `sink` on the network),
     * its HTTP API published on 127.0.0.1 at `port`. For dev stacks. @default off
     */
    sink: z
      .object({
        port: z.number().int().min(1024).max(65535).default(18080),
        image: z.string().default("warren/sink:0.1.0"),
      })
      .strict()
      .optional(),
  })
  .strict();

/** The Kubernetes runtime: how `pulumi` reaches the management API from outside the cluster. */
export const kubernetesSchema = z
  .object({
    /**
     * The management API as reachable from where `pulumi` runs (an ingress, a load balancer, or
     * `kubectl port-forward svc/<name> 15672` → http://127.0.0.1:15672).
     */
    managementUrl: z.string().url("must be a URL such as http://127.0.0.1:15672"),
    /** Namespace of the nodes; created unless `createNamespace` is false. @default "warren" */
    namespace: z
      .string()
      .regex(
        /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
        "must be a DNS label (lower-case letters, digits and dashes)",
      )
      .default("warren"),
    createNamespace: z.boolean().default(true),
  })
  .strict();

/** Every `warren:*` key; anything else in the namespace is a typo and an error. */
export const warrenConfigSchema = z
  .object({
    environment: z.enum(ENVIRONMENTS),
    runtime: z.enum(RUNTIMES).default("external"),
    broker: brokerSchema.optional(),
    cluster: clusterSchema.optional(),
    docker: dockerSchema.optional(),
    kubernetes: kubernetesSchema.optional(),
    topology: topologySchema.default({}),
    alerting: alertingSchema.optional(),
    consumers: consumersSchema.optional(),
    /** Explicit user passwords (a secret map user → password); users not listed get generated ones. */
    passwords: z
      .union([z.record(z.string().min(1)), z.object({ secure: z.string() }).strict()])
      .optional(),
  })
  .strict();

export type RawWarrenConfig = z.input<typeof warrenConfigSchema>;
export type ParsedWarrenConfig = z.output<typeof warrenConfigSchema>;
export type DockerConfig = z.output<typeof dockerSchema>;
export type KubernetesConfig = z.output<typeof kubernetesSchema>;
