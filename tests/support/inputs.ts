// The inputs the Pulumi mocks record (tests/support/mocks.ts), typed per resource type token: the
// provider's own Args types with every Input resolved, as the engine sends them. Types only (no
// provider package is loaded here), so the mocks can still be installed before any import of one.
import type * as pulumi from "@pulumi/pulumi";
import type * as docker from "@pulumi/docker";
import type * as k8s from "@pulumi/kubernetes";
import type { AccessEntries } from "../../components/topology/access";
import type { VhostEntries } from "../../components/topology/apply-plan";

/** The inputs of a resource of a type not listed in RecordedInputs. */
export type Inputs = Record<string, unknown>;

/**
 * `T` with every field present, at every depth, and `any` (e.g. a rabbitmq policy definition's
 * values) read as `unknown`. A test reads only the fields it expects the program to set, and a
 * missing one fails the assertion that reads it; one it expects to be absent it reads with `??`.
 */
export type Present<T> = 0 extends 1 & T
  ? unknown
  : T extends readonly (infer E)[]
    ? Present<E>[]
    : T extends object
      ? { readonly [K in keyof T]-?: Present<T[K]> }
      : T;

/** A provider resource's Args as recorded: Inputs resolved, fields present (see Present). */
export type Sent<Args> = Present<pulumi.Unwrap<Args>>;

/** A secret input as the mocks record it: Pulumi's secret envelope around the plain value. */
export interface SecretEnvelope<T> {
  readonly "4dabf18193072939515e22adb298388d": string;
  readonly value: T;
}

/** `I` with field `K` recorded in the secret envelope. */
type WithSecret<I, K extends keyof I> = Omit<I, K> & { readonly [P in K]: SecretEnvelope<I[P]> };

/** Recorded inputs of the resource types the tests read, by type token. */
export interface RecordedInputs {
  "docker:index/container:Container": WithSecret<Sent<docker.ContainerArgs>, "uploads">;
  "docker:index/network:Network": Sent<docker.NetworkArgs>;
  "docker:index/remoteImage:RemoteImage": Sent<docker.RemoteImageArgs>;
  "docker:index/volume:Volume": Sent<docker.VolumeArgs>;
  "kubernetes:apps/v1:Deployment": Sent<k8s.apps.v1.DeploymentArgs>;
  "kubernetes:apps/v1:StatefulSet": Sent<k8s.apps.v1.StatefulSetArgs>;
  "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": Sent<k8s.autoscaling.v2.HorizontalPodAutoscalerArgs>;
  "kubernetes:core/v1:ConfigMap": Sent<k8s.core.v1.ConfigMapArgs>;
  "kubernetes:core/v1:Secret": WithSecret<Sent<k8s.core.v1.SecretArgs>, "stringData">;
  "kubernetes:core/v1:Service": Sent<k8s.core.v1.ServiceArgs>;
  "kubernetes:networking.k8s.io/v1:NetworkPolicy": Sent<k8s.networking.v1.NetworkPolicyArgs>;
  "kubernetes:policy/v1:PodDisruptionBudget": Sent<k8s.policy.v1.PodDisruptionBudgetArgs>;
  "kubernetes:rbac.authorization.k8s.io/v1:Role": Sent<k8s.rbac.v1.RoleArgs>;
  // The connection carries the admin password; no test reads it.
  "pulumi-nodejs:dynamic/warren:VhostObjects": Present<VhostEntries> & {
    readonly redeclared: readonly string[];
  };
  "pulumi-nodejs:dynamic/warren:BrokerAccess": Present<AccessEntries> & {
    readonly given: SecretEnvelope<Record<string, string>>;
  };
}

/** The recorded inputs of a resource of type token `K`. */
export type InputsOf<K extends string> = K extends keyof RecordedInputs
  ? RecordedInputs[K]
  : Inputs;
