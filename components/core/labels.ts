// The labels on everything warren runs: Kubernetes' recommended `app.kubernetes.io/*` set, which
// the policy pack reads (`name` tells brokers from consumers), and the Docker form of it.

export type Labels = Record<string, string>;

/** One Docker label, as the docker provider takes it. */
export interface DockerLabel {
  readonly label: string;
  readonly value: string;
}

/** Selects the pods of one instance of an app (stable for the life of a workload). */
export function selectorLabels(app: string, instance: string): Labels {
  return { "app.kubernetes.io/name": app, "app.kubernetes.io/instance": instance };
}

/** The full set on a Kubernetes object: app, instance, component, part of warren, by Pulumi. */
export function workloadLabels(app: string, instance: string, component: string): Labels {
  return {
    ...selectorLabels(app, instance),
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/part-of": "warren",
    "app.kubernetes.io/managed-by": "pulumi",
  };
}

/**
 * The shorter set the Docker runtime's nodes and sink have carried since they were first
 * created. Docker cannot relabel a volume, network or container without replacing it (a node's
 * volume holds its data), so this set stays as it is.
 */
export function dockerLabels(app: string, instance?: string): DockerLabel[] {
  const labels: Labels = { "app.kubernetes.io/name": app };
  if (instance !== undefined) labels["app.kubernetes.io/instance"] = instance;
  labels["app.kubernetes.io/part-of"] = "warren";
  return asDockerLabels(labels);
}

export function asDockerLabels(labels: Labels): DockerLabel[] {
  return Object.entries(labels).map(([label, value]) => ({ label, value }));
}
