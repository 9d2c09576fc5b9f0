// The staging stack for real, on a real Kubernetes on this machine (scripts/kube.sh: kube-apiserver,
// controller-manager, scheduler, kubelet and kube-proxy v1.35.4, coredns, Debian's etcd and
// containerd): Pulumi.staging.yaml's config with only what this machine forces changed, up through
// the real engine and the official kubernetes provider; 3 RabbitMQ pods joined by peer discovery on
// their own volumes; every severity x channel alert at the in-cluster sink exactly as `warren
// routes` says; faults (the leading node pod deleted, a dispatcher pod killed, the sink failing, a
// rolling restart by `pulumi up`) losing no confirmed alert; a no-op preview; a change previewed
// exactly and applied; the staging policy rules; scale-out 3 -> 5; destroy keeping only the
// retained volumes; and the fence never dropping a packet (nothing tried to leave the machine).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { CHANNELS } from "../support/devstack";
import { deliverEveryRoute } from "../support/delivery";
import { KUBE_FAULT_CASES } from "../support/kube-fault-cases";
import {
  KubeStack,
  NAMESPACE,
  kubeDown,
  kubeRunning,
  machineState,
  STAGING_OVERRIDES,
  STORAGE_CLASS,
  fenceCount,
  kubectl,
  prepareKubernetes,
  removeSink,
  stagingConfig,
} from "../support/kubestack";
import { type CaseResult, formatTable, problems, runCase } from "../support/fault-matrix";
import { PROJECT_DIR } from "../support/program";
import { until } from "../support/wait";

/** Every leaf of a config as path -> JSON value (arrays are leaves). */
function leaves(v: unknown, at = ""): Map<string, string> {
  const out = new Map<string, string>();
  if (v && typeof v === "object" && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v))
      for (const e of leaves(x, at ? `${at}.${k}` : k)) out.set(...e);
  } else out.set(at, JSON.stringify(v));
  return out;
}

interface PvInfo {
  metadata: { name: string };
  spec: { local?: { path: string }; claimRef?: { namespace: string; name: string } };
  status: { phase: string };
}

const pvs = () => (JSON.parse(kubectl("get", "pv", "-o", "json")) as { items: PvInfo[] }).items;

describe("the staging stack on a local Kubernetes, end to end", { timeout: 90 * 60_000 }, () => {
  let stack: KubeStack;
  const results: CaseResult[] = [];
  /** The machine before this run started the local cluster (undefined: it was up already). */
  let machineBefore: Record<string, string[]> | undefined;
  let stopped = false;

  before(async () => {
    machineBefore = kubeRunning() ? undefined : machineState();
    prepareKubernetes();
    stack = await KubeStack.create();
  });

  after(async () => {
    if (results.length) console.log(`staging faults:\n${formatTable(results)}`);
    if (stopped) return;
    await stack?.dispose();
    if (machineBefore) kubeDown();
    else removeSink();
  });

  it("runs staging's own config, changed only where this machine forces it", () => {
    const staging = leaves(stagingConfig());
    const local = leaves(stack.config);
    const changed = [...new Set([...staging.keys(), ...local.keys()])].filter(
      (k) => staging.get(k) !== local.get(k),
    );
    const overridden = Object.keys(STAGING_OVERRIDES);
    const unexplained = changed.filter(
      (k) => !overridden.some((o) => k === o || k.startsWith(`${o}.`)),
    );
    assert.deepEqual(unexplained, [], "keys that differ from Pulumi.staging.yaml without a reason");
    // And every reason given is used (the list cannot go stale).
    assert.deepEqual(
      overridden.filter((o) => !changed.some((k) => k === o || k.startsWith(`${o}.`))),
      [],
    );
  });

  it("brings up 3 nodes joined by peer discovery, data and logs on their own volumes", async (t) => {
    const t0 = performance.now();
    await stack.up();
    t.diagnostic(`up in ${Math.round((performance.now() - t0) / 1000)} s`);
    assert.deepEqual(await stack.runningNodes(), stack.nodes.map((p) => stack.nodeName(p)).sort());
    for (const pod of stack.nodes) {
      const node = stack.nodeName(pod);
      const exec = (...a: string[]) =>
        kubectl("-n", NAMESPACE, "exec", pod, "-c", "rabbitmq", "--", ...a);
      assert.match(exec("ls", "/data/rabbitmq/mnesia"), new RegExp(`^${node}$`, "m"));
      assert.match(exec("ls", "/data/rabbitmq/log"), new RegExp(`^${node}\\.log$`, "m"));
      // The volumes' roots are the rabbitmq group's (fsGroup applies to local volumes).
      assert.equal(exec("stat", "-c", "%g", "/data/rabbitmq/mnesia"), "999");
      assert.equal(exec("stat", "-c", "%g", "/data/rabbitmq/log"), "999");
      for (const v of ["data", "logs"]) {
        const claim = `${v}-${pod}`;
        const pvc = JSON.parse(kubectl("-n", NAMESPACE, "get", "pvc", claim, "-o", "json")) as {
          spec: { storageClassName: string; volumeName: string };
          status: { phase: string };
        };
        assert.equal(pvc.status.phase, "Bound", claim);
        assert.equal(pvc.spec.storageClassName, STORAGE_CLASS);
      }
      const spec = JSON.parse(kubectl("-n", NAMESPACE, "get", "pod", pod, "-o", "json")) as {
        spec: { volumes: { name: string; secret?: { secretName: string } }[] };
      };
      // The cookie and the admin definitions come from the Secret, never from the environment.
      assert.equal(
        spec.spec.volumes.find((v) => v.name === "cookie")?.secret?.secretName,
        "warren-secrets",
      );
    }
    const data = pvs().filter((p) => p.spec.claimRef?.namespace === NAMESPACE);
    assert.equal(new Set(data.map((p) => p.metadata.name)).size, 6, "6 volumes: data and logs x 3");
    await stack.healthy();
    await stack.sink.resetStarts();
  });

  it("delivers every severity x channel to the sink exactly as warren routes says", async () => {
    const { want, got } = await deliverEveryRoute(stack, "k", 180_000);
    for (const c of CHANNELS) assert.deepEqual(got[c], want[c], c);
  });

  KUBE_FAULT_CASES.forEach((c, i) => {
    it(`fault: ${c.name} — no confirmed alert lost, everything recovered`, async (t) => {
      const rolling = c.name.startsWith("rolling");
      const r = await runCase(
        stack,
        c,
        1,
        i + 1,
        rolling ? { alerts: 6000, rate: 50 } : { alerts: 1000, rate: 100 },
      );
      results.push(r);
      t.diagnostic(formatTable([r]));
      for (const n of r.notes) t.diagnostic(n);
      assert.deepEqual(problems(r), []);
      assert.ok(r.expected > 1000, "the stream routed to the channels");
      // The sink's pod never restarted either (its record is the count).
      const sinkRestarts = Object.entries(stack.restarts()).filter(
        ([k, n]) => k.startsWith("warren-sink/") && n > 0,
      );
      assert.deepEqual(sinkRestarts, []);
    });
  });

  it("previews no changes after up", async () => {
    await stack.stack.preview({ expectNoChanges: true, color: "never" });
  });

  it("previews exactly a dispatcher replica change, and applies it", async () => {
    const config = structuredClone(stack.config);
    (
      config["warren:consumers"] as { channels: Record<string, { replicas?: number }> }
    ).channels.wecom.replicas = 3;
    stack.setConfig(config);
    const changes: string[] = [];
    await stack.stack.preview({
      color: "never",
      onEvent: (e) => {
        const m = e.resourcePreEvent?.metadata;
        if (m && m.op !== "same" && !m.type.startsWith("pulumi:"))
          changes.push(`${m.op} ${m.type} ${String(m.urn.split("::").pop())}`);
      },
    });
    assert.deepEqual(changes, ["update kubernetes:apps/v1:Deployment dispatcher-wecom-deployment"]);
    await stack.up();
    assert.equal(
      kubectl(
        "-n",
        NAMESPACE,
        "get",
        "deploy",
        "dispatcher-wecom",
        "-o",
        "jsonpath={.status.readyReplicas}",
      ),
      "3",
    );
  });

  it("passes the policy pack's staging rules", async () => {
    const r = await stack.stack.preview({
      color: "never",
      policyPacks: [path.join(PROJECT_DIR, "policies")],
      policyPackConfigs: [path.join(PROJECT_DIR, "policies", "staging.json")],
    });
    assert.doesNotMatch(r.stdout, /\[mandatory\]/);
  });

  it("scales out 3 -> 5: the new nodes join the cluster", async () => {
    const config = structuredClone(stack.config);
    (config["warren:cluster"] as { replicas: number }).replicas = 5;
    stack.setConfig(config);
    await stack.up();
    await until(
      "5 running nodes",
      async () => (await stack.runningNodes()).length === 5,
      300_000,
      1000,
      { tolerateErrors: true },
    );
    assert.deepEqual(await stack.runningNodes(), stack.nodes.map((p) => stack.nodeName(p)).sort());
    await stack.healthy();
  });

  it("destroys everything but the volumes retained on purpose, and nothing left the machine", async () => {
    const bound = pvs().filter((p) => p.spec.claimRef?.namespace === NAMESPACE);
    assert.equal(bound.length, 10, "data and logs of 5 nodes");
    await stack.stack.destroy({ color: "never" });
    assert.equal(kubectl("get", "namespace", NAMESPACE, "--ignore-not-found", "-o", "name"), "");
    // Retained: the nodes' volumes (reclaim policy Retain), released with their data on disk.
    for (const pv of pvs().filter((p) => bound.some((b) => b.metadata.name === p.metadata.name))) {
      assert.equal(pv.status.phase, "Released", pv.metadata.name);
      assert.ok(
        fs.readdirSync(pv.spec.local!.path).length > 0,
        `${pv.metadata.name} kept its data`,
      );
    }
    assert.equal(
      fenceCount(),
      0,
      "packets to or from the cluster's ranges tried to leave the machine",
    );
  });

  it("scripts/kube.sh down leaves the machine as it was", async (t) => {
    if (!machineBefore) {
      t.skip("the local cluster was up before this run, so it stays up");
      return;
    }
    await stack.release();
    stopped = true;
    kubeDown();
    assert.deepEqual(machineState(), machineBefore);
  });
});
