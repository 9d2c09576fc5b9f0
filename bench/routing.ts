// Benchmark of the routing simulator: index a topic exchange with many bindings, then route many
// keys through it. Prints nothing; the bench runner tabulates the numbers.

import { RoutingTable } from "../components/topology/routing";
import type { BindingSpec, QueueSpec, TopologySpec } from "../components/topology/spec";

export interface RoutingBenchResult {
  readonly bindings: number;
  readonly keys: number;
  readonly buildMs: number;
  readonly routeMs: number;
}

// Word positions of an alerting routing key: kind.env.region.service.signal
const VOCABULARY: readonly (readonly string[])[] = [
  ["alert", "metric", "log", "event", "heartbeat", "incident"],
  ["prod", "staging", "dev", "canary", "sandbox"],
  ["eu-west", "eu-central", "us-east", "us-west", "ap-south", "ap-east", "sa-east"],
  [
    "api",
    "db",
    "cache",
    "queue",
    "auth",
    "billing",
    "search",
    "ingest",
    "web",
    "scheduler",
    "notifier",
    "storage",
  ],
  ["cpu", "memory", "disk", "latency", "errors", "saturation", "uptime", "cert-expiry"],
];

const VHOST = "bench";
const EXCHANGE = "alerts";
const QUEUES = 500;

/** Deterministic, so runs are comparable. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rand: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)];
}

function words(rand: () => number): string[] {
  const n = 3 + Math.floor(rand() * 3);
  return VOCABULARY.slice(0, n).map((vocab) => pick(rand, vocab));
}

function bindingKey(rand: () => number): string {
  return words(rand)
    .map((w) => {
      const r = rand();
      return r < 0.1 ? "#" : r < 0.3 ? "*" : w;
    })
    .join(".");
}

export function benchRouting(bindings = 10_000, keys = 10_000): RoutingBenchResult {
  const rand = mulberry32(42);
  const queues: QueueSpec[] = Array.from({ length: QUEUES }, (_, i) => ({
    path: `bench.queues[${i}]`,
    name: `q${i}`,
    vhost: VHOST,
    type: "quorum",
    durable: true,
    autoDelete: false,
    arguments: {},
  }));
  const bindingSpecs: BindingSpec[] = Array.from({ length: bindings }, (_, i) => ({
    path: `bench.bindings[${i}]`,
    vhost: VHOST,
    source: EXCHANGE,
    destination: `q${i % QUEUES}`,
    destinationType: "queue",
    routingKey: bindingKey(rand),
    arguments: {},
  }));
  const topology: TopologySpec = {
    vhosts: [{ path: "bench.vhosts[0]", name: VHOST }],
    users: [],
    permissions: [],
    topicPermissions: [],
    exchanges: [
      {
        path: "bench.exchanges[0]",
        name: EXCHANGE,
        vhost: VHOST,
        type: "topic",
        durable: true,
        autoDelete: false,
        internal: false,
        arguments: {},
      },
    ],
    queues,
    bindings: bindingSpecs,
    policies: [],
    operatorPolicies: [],
  };
  const routingKeys = Array.from({ length: keys }, () => words(rand).join("."));

  const t0 = performance.now();
  const table = new RoutingTable(topology);
  const t1 = performance.now();
  let delivered = 0;
  for (const routingKey of routingKeys) {
    delivered += table.route({ vhost: VHOST, exchange: EXCHANGE, routingKey }).length;
  }
  const t2 = performance.now();
  // Keeps the routing loop observable so it cannot be optimised away.
  if (delivered < 0) throw new Error("unreachable");
  return { bindings, keys, buildMs: round(t1 - t0), routeMs: round(t2 - t1) };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
