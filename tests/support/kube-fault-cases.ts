// The staging stack's fault cases on the local Kubernetes, run by fault-matrix.ts's runCase like
// the dev stack's: the node pod that leads the channel queues deleted (the StatefulSet brings it
// back on the same volumes), a dispatcher pod killed mid-batch, the sink failing, and a rolling
// restart of the StatefulSet by a config change applied with `pulumi up` while alerts flow.
import type { FaultCase } from "./fault-cases";
import { type KubeStack, NAMESPACE, kubectl, run } from "./kubestack";
import { until } from "./wait";

const MARKER = "/data/rabbitmq/mnesia/.warren-e2e-marker";

function podUid(pod: string): string {
  return kubectl("-n", NAMESPACE, "get", "pod", pod, "-o", "jsonpath={.metadata.uid}");
}

/** Waits until the pod is a new one (not `uid`), ready, and its node runs in the cluster. */
async function replaced(stack: KubeStack, pod: string, uid: string): Promise<void> {
  await until(
    `${pod} to come back as a new pod and rejoin the cluster`,
    async () => {
      if (podUid(pod) === uid) return false;
      const ready = kubectl(
        "-n",
        NAMESPACE,
        "get",
        "pod",
        pod,
        "-o",
        'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
      );
      return ready === "True" && (await stack.runningNodes()).includes(stack.nodeName(pod));
    },
    300_000,
    1000,
    { tolerateErrors: true },
  );
}

export const KUBE_FAULT_CASES: readonly FaultCase<KubeStack>[] = [
  {
    name: "node pod leading the channel queues deleted",
    async fault({ stack, note }) {
      const pod = stack.podOf(await stack.busiestNode());
      note(`target ${pod}`);
      // A file on the data volume: the pod that comes back must find it (same volume, same data).
      kubectl("-n", NAMESPACE, "exec", pod, "-c", "rabbitmq", "--", "touch", MARKER);
      const uid = podUid(pod);
      kubectl("-n", NAMESPACE, "delete", "pod", pod, "--wait=false");
      await replaced(stack, pod, uid);
      kubectl("-n", NAMESPACE, "exec", pod, "-c", "rabbitmq", "--", "test", "-f", MARKER);
    },
  },
  {
    name: "dispatcher pod killed mid-batch (grace 0)",
    async fault({ stack, note }) {
      const pod = stack.dispatcherPods("email")[0].metadata.name;
      note(`target ${pod}`);
      kubectl("-n", NAMESPACE, "delete", "pod", pod, "--grace-period=0", "--force", "--wait=false");
      await until(
        "the email dispatchers back to full strength",
        () =>
          Promise.resolve(
            stack
              .dispatcherPods("email")
              .filter(
                (p) =>
                  p.metadata.name !== pod &&
                  !p.metadata.deletionTimestamp &&
                  (p.status.containerStatuses ?? []).every((c) => c.ready),
              ).length >= 2,
          ),
        180_000,
        1000,
        { tolerateErrors: true },
      );
    },
  },
  {
    name: "sink failing for 10 s",
    async fault({ stack }) {
      await stack.sink.failFor(10_000);
    },
  },
  {
    name: "rolling restart by a config change (pulumi up)",
    async fault({ stack, note }) {
      const config = structuredClone(stack.config);
      const cluster = config["warren:cluster"] as { netTicktime?: number };
      cluster.netTicktime = (cluster.netTicktime ?? 15) === 15 ? 20 : 15;
      stack.setConfig(config);
      const sts = () =>
        kubectl("-n", NAMESPACE, "get", "statefulset", "warren", "-o", "jsonpath={.metadata.uid}");
      const stsBefore = sts();
      const before = stack.nodes.map(podUid);
      const t0 = Date.now();
      await stack.up();
      note(`rolled in ${Math.round((Date.now() - t0) / 1000)} s`);
      const after = stack.nodes.map(podUid);
      const rolled = stack.nodes.filter((_, i) => before[i] !== after[i]);
      if (rolled.length !== stack.nodes.length)
        throw new Error(
          `only ${JSON.stringify(rolled)} of ${JSON.stringify(stack.nodes)} restarted`,
        );
      // Rolled, not replaced: a replaced StatefulSet would have stopped every node at once.
      if (sts() !== stsBefore) throw new Error("the StatefulSet was replaced, not rolled");
      run("kubectl", ["-n", NAMESPACE, "rollout", "status", "statefulset/warren", "--timeout=60s"]);
    },
  },
];
