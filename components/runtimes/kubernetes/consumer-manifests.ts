// The Kubernetes objects of one channel's dispatchers, as pure functions of its ConsumerPlan: the
// Deployment, the optional HorizontalPodAutoscaler, the PodDisruptionBudget. consumers.ts maps
// them onto resources; tests call them directly.
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { HTTP_PORT, SECRETS_DIR, type ConsumerPlan } from "../../alerting/consumer-plan";
import type { Labels } from "../../core/labels";

const DISPATCHER_UID = 10001;

export function deployment(
  plan: ConsumerPlan,
  image: string,
  labels: Labels,
  refs: { readonly secret: pulumi.Input<string>; readonly secretVersion: pulumi.Input<string> },
): k8s.types.input.apps.v1.DeploymentSpec {
  const probe = (path: string) => ({
    httpGet: { path, port: "http" },
    periodSeconds: 10,
    timeoutSeconds: 5,
  });
  return {
    replicas: plan.autoscale ? undefined : plan.replicas,
    selector: { matchLabels: selectorOf(labels) },
    // A rolling update never takes the channel below its replicas; SIGTERM finishes in-flight alerts.
    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
    template: {
      metadata: { labels, annotations: { "warren.dev/secret-version": refs.secretVersion } },
      spec: {
        terminationGracePeriodSeconds: 40,
        automountServiceAccountToken: false,
        securityContext: {
          runAsNonRoot: true,
          runAsUser: DISPATCHER_UID,
          runAsGroup: DISPATCHER_UID,
          // The secret files are root's: group-readable by fsGroup, the dispatcher's group.
          fsGroup: DISPATCHER_UID,
          seccompProfile: { type: "RuntimeDefault" },
        },
        containers: [
          {
            name: "dispatcher",
            image,
            ports: [{ name: "http", containerPort: HTTP_PORT }],
            env: Object.entries(plan.env).map(([name, value]) => ({ name, value })),
            resources: plan.resources,
            readinessProbe: probe("/readyz"),
            livenessProbe: { ...probe("/healthz"), failureThreshold: 3 },
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ["ALL"] },
            },
            volumeMounts: [
              { name: "secrets", mountPath: SECRETS_DIR, readOnly: true },
              { name: "tmp", mountPath: "/tmp" },
            ],
          },
        ],
        volumes: [
          { name: "secrets", secret: { secretName: refs.secret, defaultMode: 0o440 } },
          { name: "tmp", emptyDir: { sizeLimit: "16Mi" } },
        ],
      },
    },
  };
}

/** The pods of a channel's workload (its instance label). */
export function selectorOf(labels: Labels): Labels {
  return { "app.kubernetes.io/instance": labels["app.kubernetes.io/instance"] };
}

/** CPU autoscaling between the planned replicas and `autoscale.maxReplicas`; undefined without autoscale. */
export function autoscaler(
  plan: ConsumerPlan,
  deploymentName: pulumi.Input<string>,
): k8s.types.input.autoscaling.v2.HorizontalPodAutoscalerSpec | undefined {
  if (!plan.autoscale) return undefined;
  return {
    scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deploymentName },
    minReplicas: plan.replicas,
    maxReplicas: plan.autoscale.maxReplicas,
    metrics: [
      {
        type: "Resource",
        resource: {
          name: "cpu",
          target: { type: "Utilization", averageUtilization: plan.autoscale.cpuUtilization },
        },
      },
    ],
  };
}

/** With more than one replica, a drain keeps one running; undefined for a single replica. */
export function consumerDisruptionBudget(
  plan: ConsumerPlan,
  labels: Labels,
): k8s.types.input.policy.v1.PodDisruptionBudgetSpec | undefined {
  return plan.replicas > 1
    ? { minAvailable: 1, selector: { matchLabels: selectorOf(labels) } }
    : undefined;
}
