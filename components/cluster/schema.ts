// The shape of `warren:cluster`: the RabbitMQ nodes warren runs itself (Kubernetes or Docker).
// Strict like every warren schema; rules across fields are in validate.ts.
import { z } from "zod";
import { pinnedImage } from "../core/images";
import { INFORMATION_UNIT } from "./units";

const image = pinnedImage("rabbitmq:3.10.8-management");

const absolute = z
  .string()
  .regex(
    INFORMATION_UNIT,
    'must be a number of bytes with an optional unit k, kiB, kB, M, MiB, MB, G, GiB or GB, e.g. "2GB"',
  );

const storageVolume = (size: string) =>
  z
    .object({
      /** PVC size, a Kubernetes quantity. Grows only: Kubernetes refuses to shrink a claim. */
      size: z.string().default(size),
      /** Storage class of the claim. @default the cluster's default class */
      storageClass: z.string().min(1).optional(),
    })
    .strict()
    .default({});

const quantity = z.string();

export const clusterSchema = z
  .object({
    /**
     * Number of nodes. Odd, so `pause_minority` keeps a majority on one side of a partition;
     * at least 3 in prod, so a quorum queue with 3 replicas survives losing a node.
     * @default 3
     */
    replicas: z.number().int().min(1).default(3),
    /**
     * The RabbitMQ image, pinned (`latest` and untagged images are refused). The rendered
     * configuration targets RabbitMQ 3.10 (config keys and plugin names). The `-management`
     * variant only adds `rabbitmqadmin`; the plugins come from the rendered `enabled_plugins`.
     * @default "rabbitmq:3.10.8-management"
     */
    image: image.default("rabbitmq:3.10.8-management"),
    /** `MNESIA_BASE`: node data, quorum and stream logs. The data volume is mounted here. @default "/data/rabbitmq/mnesia" */
    dataDir: z.string().default("/data/rabbitmq/mnesia"),
    /** `LOG_BASE`: node log files. The logs volume is mounted here. @default "/data/rabbitmq/log" */
    logDir: z.string().default("/data/rabbitmq/log"),
    /**
     * Extra plugins, RabbitMQ 3.10 names. rabbitmq_management and rabbitmq_prometheus are
     * always enabled; peer discovery plugins are the runtime's choice.
     * @default []
     */
    plugins: z.array(z.string()).default([]),
    /**
     * When publishers are blocked for memory: a fraction of the node's memory (the container's
     * memory limit when one is set), or an absolute amount ("2GB"). RabbitMQ's production
     * checklist recommends 0.4 to 0.7; 0.6 leaves 40 % headroom for garbage collection peaks.
     * @default 0.6
     */
    memoryHighWatermark: z.union([z.number().gt(0).lt(1), absolute]).default(0.6),
    /**
     * When publishers are blocked for disk: free space below a multiple of the node's memory, or
     * an absolute amount ("5GB"). The production checklist calls 1.0 the minimum, 1.5 safer and
     * 2.0 the most conservative: a node may need to page its whole memory to disk.
     * @default 1.5
     */
    diskFreeLimit: z.union([z.number().gt(0), absolute]).default(1.5),
    /**
     * Erlang's net tick time, seconds: a peer that stops answering (frozen, cut off) is declared
     * down after 0.75 to 1.25 of it, and only then do the quorum queues it led elect new
     * leaders; until then alerts for them wait. RabbitMQ's default is 60; 15 notices a lost node
     * within 11-19 s. Below 10 a busy network or a long GC pause can split a healthy cluster.
     * @default 15
     */
    netTicktime: z.number().int().min(5).max(600).default(15),
    /** Persistent volumes. @default {data: {size: "10Gi"}, logs: {size: "2Gi"}} */
    storage: z
      .object({
        /** @default {size: "10Gi"} */
        data: storageVolume("10Gi"),
        /** @default {size: "2Gi"} */
        logs: storageVolume("2Gi"),
      })
      .strict()
      .default({}),
    /**
     * Container resources, Kubernetes quantities. The memory limit is also what RabbitMQ takes
     * as the node's total memory (`total_memory_available_override_value`: inside a container
     * RabbitMQ 3.10 would otherwise see the host's), so the relative watermark and disk limit
     * follow it. The memory request defaults to the limit (memory is never overcommitted). The
     * CPU limit leaves headroom above the request (as RabbitMQ's Kubernetes operator does):
     * tight CPU limits throttle the Erlang schedulers and trip heartbeats.
     * @default {requests: {cpu: "1", memory: <limits.memory>}, limits: {cpu: "2", memory: "2Gi"}}
     */
    resources: z
      .object({
        requests: z
          .object({ cpu: quantity.default("1"), memory: quantity.optional() })
          .strict()
          .default({}),
        limits: z
          .object({ cpu: quantity.default("2"), memory: quantity.default("2Gi") })
          .strict()
          .default({}),
      })
      .strict()
      .default({})
      .transform(({ requests, limits }) => ({
        requests: { cpu: requests.cpu, memory: requests.memory ?? limits.memory },
        limits,
      })),
    /** Who may reach the management API (HTTP 15672), besides the cluster itself. */
    management: z
      .object({
        /** Client networks, CIDRs. @default [] (none from outside the cluster) */
        allowedCidrs: z.array(z.string()).default([]),
      })
      .strict()
      .default({}),
    /** Who may reach AMQP (5672). */
    amqp: z
      .object({
        /** Kubernetes namespace of the consumers allowed to connect. @default the cluster's own namespace */
        consumerNamespace: z.string().optional(),
      })
      .strict()
      .default({}),
    /** Kubernetes namespace of the nodes. @default chosen by the Kubernetes runtime */
    namespace: z.string().optional(),
    /** How the client service is exposed. @default "ClusterIP" */
    exposure: z.enum(["ClusterIP", "NodePort", "LoadBalancer"]).default("ClusterIP"),
    /**
     * TLS for AMQP (5671) and the management API (15671), from certificate files every node
     * finds at tlsPaths (render.ts). Inter-node (Erlang distribution) traffic is not covered.
     * @default {mode: "off"}
     */
    tls: z
      .object({
        /**
         * `generate`: a CA and node certificates made by the stack; `secret`: certificates the
         * user brings; `off`: plaintext listeners only. The runtimes do not provide the
         * certificate files yet (issue 16), so validate.ts refuses anything but `off` for now.
         * @default "off"
         */
        mode: z.enum(["generate", "secret", "off"]).default("off"),
        /**
         * With TLS on, close the plaintext AMQP (5672) and management (15672) listeners, so
         * no password crosses the network in the clear. Ignored when `mode` is `off`.
         * @default true
         */
        disablePlaintext: z.boolean().default(true),
        /**
         * `generate`: how long a node certificate lives; the first `pulumi up` in its last 30
         * days (or last third) makes a new one. The CA lives ten times as long (at least 5 years).
         * @default 365
         */
        validityDays: z.number().int().min(7).max(825).default(365),
        /**
         * `generate`: bump it to replace the CA and every node's key and certificate (a key
         * that leaked, a CA that nears its end): it is part of their resource names.
         * @default 0
         */
        rotation: z.number().int().min(0).default(0),
      })
      .strict()
      .default({}),
  })
  .strict();

/** `warren:cluster` as written in a stack file. */
export type ClusterConfig = z.input<typeof clusterSchema>;
/** `warren:cluster` parsed, defaults applied; what validateCluster checks and the renderers take. */
export type ClusterSpec = z.output<typeof clusterSchema>;
