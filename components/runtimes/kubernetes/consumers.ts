// warren:alerting:Consumers on Kubernetes — per alerting channel a Secret (the dispatcher's
// files), a Deployment, and when planned a HorizontalPodAutoscaler and a PodDisruptionBudget.
// The type token is the one both runtimes' consumers have had since before the split, so
// existing stacks keep their URNs.
import * as appsv1 from "@pulumi/kubernetes/apps/v1";
import * as autoscalingv2 from "@pulumi/kubernetes/autoscaling/v2";
import * as corev1 from "@pulumi/kubernetes/core/v1";
import * as policyv1 from "@pulumi/kubernetes/policy/v1";
import * as pulumi from "@pulumi/pulumi";
import {
  type ConsumersArgs,
  consumerLabels,
  secretFiles,
  withAmqpTls,
  workloadName,
} from "../../alerting/consumer-files";
import type { ConsumerPlan } from "../../alerting/consumer-plan";
import { autoscaler, consumerDisruptionBudget, deployment } from "./consumer-manifests";

export interface KubernetesConsumersArgs extends ConsumersArgs {
  /** The namespace of the deployments. */
  readonly namespace: pulumi.Input<string>;
}

export class KubernetesConsumers extends pulumi.ComponentResource {
  /** Deployment names by channel. */
  public readonly workloads: pulumi.Output<Record<string, string[]>>;

  constructor(name: string, args: KubernetesConsumersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("warren:alerting:Consumers", name, {}, opts);
    const workloads: Record<string, pulumi.Output<string>[]> = {};
    for (const c of args.consumers)
      workloads[c.channel.name] = [this.channel(name, withAmqpTls(c, args), args)];
    this.workloads = pulumi.output(workloads);
    this.registerOutputs({ workloads: this.workloads });
  }

  private channel(
    name: string,
    c: ConsumerPlan,
    args: KubernetesConsumersArgs,
  ): pulumi.Output<string> {
    const base = workloadName(name, c);
    const labels = consumerLabels(base, c);
    const metadata = { name: base, namespace: args.namespace, labels };
    const o = { parent: this };
    const secret = new corev1.Secret(
      `${base}-secret`,
      { metadata, type: "Opaque", stringData: secretFiles(c, args) },
      o,
    );
    const refs = { secret: secret.metadata.name, secretVersion: secret.metadata.resourceVersion };
    const dep = new appsv1.Deployment(
      `${base}-deployment`,
      { metadata, spec: deployment(c, args.image, labels, refs) },
      o,
    );
    const hpa = autoscaler(c, dep.metadata.name);
    if (hpa) new autoscalingv2.HorizontalPodAutoscaler(`${base}-hpa`, { metadata, spec: hpa }, o);
    const pdb = consumerDisruptionBudget(c, labels);
    if (pdb) new policyv1.PodDisruptionBudget(`${base}-pdb`, { metadata, spec: pdb }, o);
    return dep.metadata.name;
  }
}
