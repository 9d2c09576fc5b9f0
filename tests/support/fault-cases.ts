// The fault matrix's cases: a node stopped, killed, partitioned and restarted in turn, the
// dispatchers killed and stopped, the sink failing and slow, a memory alarm; each with its repair
// and the checks that the cluster came back by itself. Run by fault-matrix.ts.
import type { ClusterSpec } from "../../components/cluster/schema";
import { loadWarrenSpec } from "../../components/config/spec";
import { type DevStack, docker, sh } from "./devstack";
import { sleep, until } from "./wait";

export interface FaultContext<S = DevStack> {
  readonly stack: S;
  /** The node container the case aims at (see FaultCase.aim), if any. */
  readonly target?: string;
  readonly stream: { readonly count: number; readonly confirmTimes: readonly number[] };
  readonly note: (line: string) => void;
}

export interface FaultCase<S = DevStack> {
  readonly name: string;
  /**
   * The node the fault hits, chosen before the stream starts: the producer then starts on it
   * too, so the fault also cuts the producer off with alerts in flight.
   */
  aim?(stack: S): Promise<string>;
  /** Runs the fault (and its repair) while the stream flows; starts after a quarter is published. */
  fault(ctx: FaultContext<S>): Promise<void>;
}

/** The dev stack's validated warren:cluster. */
function clusterOf(ctx: FaultContext): ClusterSpec {
  const spec = loadWarrenSpec(ctx.stack.config);
  if (spec.runtime !== "docker")
    throw new Error(`the fault matrix runs on a docker stack, not ${spec.runtime}`);
  return spec.cluster;
}

/** The container of the node that leads most channel queues and holds most dispatcher connections. */
async function primary(stack: DevStack): Promise<string> {
  return stack.containerOf(await stack.busiestNode());
}

/** Waits until `node` runs as a cluster member again. */
async function rejoined(ctx: FaultContext, container: string, timeoutMs = 180_000): Promise<void> {
  await until(
    `${container} to rejoin the cluster`,
    async () => (await ctx.stack.runningNodes()).includes(`rabbit@${container}`),
    timeoutMs,
    500,
    {
      tolerateErrors: true,
    },
  );
}

function containerPid(container: string): string {
  return docker("inspect", "-f", "{{.State.Pid}}", container);
}

function containerIp(ctx: FaultContext, container: string): string {
  return docker(
    "inspect",
    "-f",
    `{{(index .NetworkSettings.Networks "${ctx.stack.network}").IPAddress}}`,
    container,
  );
}

/**
 * Cuts `container` off from the other nodes (and only them) inside its own network namespace:
 * iptables DROP of their addresses, in and out. Clients still reach it; the cluster does not.
 */
function partition(ctx: FaultContext, container: string, on: boolean): void {
  const pid = containerPid(container);
  for (const peer of ctx.stack.nodes.filter((n) => n !== container)) {
    const ip = containerIp(ctx, peer);
    for (const rule of [
      ["INPUT", "-s", ip],
      ["OUTPUT", "-d", ip],
    ])
      sh("nsenter", [
        "-t",
        pid,
        "-n",
        "iptables",
        on ? "-I" : "-D",
        rule[0],
        rule[1],
        rule[2],
        "-j",
        "DROP",
      ]);
  }
}

/** `docker <how> <target>`, 5 s down, `docker start`, and back in the cluster. */
async function downAndUp(ctx: FaultContext, how: string[]): Promise<void> {
  const node = ctx.target!;
  docker(...how, node);
  await sleep(5000);
  docker("start", node);
  await rejoined(ctx, node);
}

/** The cases of the matrix, in order. */
export const FAULT_CASES: readonly FaultCase[] = [
  {
    name: "stop the primary node, start it again",
    aim: primary,
    fault: (ctx) => downAndUp(ctx, ["stop", "-t", "60"]),
  },
  {
    name: "kill the primary node, start it again",
    aim: primary,
    fault: (ctx) => downAndUp(ctx, ["kill"]),
  },
  {
    name: "partition a node from its peers for longer than the net tick time",
    aim: primary,
    async fault(ctx) {
      const node = ctx.target!;
      const tick = clusterOf(ctx).netTicktime;
      partition(ctx, node, true);
      try {
        // The others see it down within 0.75-1.25 net ticks; pause_minority pauses it.
        await sleep(tick * 1250 + 10_000);
      } finally {
        partition(ctx, node, false);
      }
      ctx.note(`partitioned for ${tick * 1.25 + 10} s (net tick ${tick} s)`);
      // Resuming can hang in RabbitMQ 3.10.8's boot; the node's watchdog restarts it then.
      await rejoined(ctx, node, 420_000);
    },
  },
  {
    name: "kill a dispatcher mid-batch, start it again",
    async fault(ctx) {
      const d = ctx.stack.dispatchers("email")[0];
      docker("kill", d);
      await sleep(2000);
      docker("start", d);
    },
  },
  {
    name: "SIGTERM a dispatcher mid-batch, start it again",
    async fault(ctx) {
      const d = ctx.stack.dispatchers("sms")[0];
      docker("stop", "-t", "40", d);
      await sleep(1000);
      docker("start", d);
    },
  },
  {
    name: "the sink failing (HTTP 503, SMTP 451) for 4 s, then 5 calls slower than the dispatcher's timeout",
    async fault(ctx) {
      await ctx.stack.sink.failFor(4000);
      await sleep(4500);
      await ctx.stack.sink.slowNext(5, 12_000);
    },
  },
  {
    name: "a memory alarm for 5 s: producers blocked, not lied to",
    async fault(ctx) {
      const node = ctx.stack.nodes[0];
      docker("exec", node, "rabbitmqctl", "-q", "set_vm_memory_high_watermark", "0.000001");
      // Every node blocks publishers while any node is in alarm: no confirm may arrive meanwhile.
      await sleep(1500);
      const before = ctx.stream.confirmTimes.length;
      await sleep(5000);
      const during = ctx.stream.confirmTimes.length - before;
      // Back to the configured watermark (the rendered rabbitmq.conf's).
      const w = clusterOf(ctx).memoryHighWatermark;
      docker(
        "exec",
        node,
        "rabbitmqctl",
        "-q",
        "set_vm_memory_high_watermark",
        ...(typeof w === "number" ? [String(w)] : ["absolute", w]),
      );
      ctx.note(`confirms during the alarm: ${during}`);
      if (during !== 0)
        throw new Error(`${during} alerts were confirmed while the cluster was in a memory alarm`);
    },
  },
  {
    name: "a rolling restart of all three nodes",
    async fault(ctx) {
      for (const node of ctx.stack.nodes) {
        docker("stop", "-t", "60", node);
        docker("start", node);
        await rejoined(ctx, node);
        await ctx.stack.healthy();
      }
    },
  },
];
