// What `warren:cluster.tls: {mode: generate}` makes, as data: one CA and one certificate per
// node, each with the names and addresses clients reach that node by (its Subject Alternative
// Names), their lifetimes, and the rotation generation that names them. tls.ts maps the plan onto
// @pulumi/tls resources; the runtimes say which names their nodes have.
import type { ClusterSpec } from "./schema";

/** The names a runtime's nodes are reached by. */
export interface CertificateNames {
  /** Per node, in node order: an id (resource names) and its own DNS names, the first one its CN. */
  readonly nodes: readonly { readonly id: string; readonly dnsNames: readonly string[] }[];
  /** DNS names every node's certificate also carries (a Service in front of all of them). */
  readonly shared: readonly string[];
  /** IP addresses every node's certificate carries. */
  readonly ipAddresses: readonly string[];
}

/** Node certificates and the CA's key: ECDSA P-256 (RabbitMQ's Erlang/OTP 25 and Node take it). */
export const KEY = { algorithm: "ECDSA", ecdsaCurve: "P256" } as const;

/** The CA lives ten times as long as the node certificates, at least 5 years. */
export const CA_VALIDITY_FACTOR = 10;
const MIN_CA_DAYS = 5 * 365;
/** A node certificate is renewed by the first `pulumi up` in its last 30 days (or third). */
const RENEW_DAYS = 30;

export interface CertificatePlan {
  /** `tls.rotation`: part of every resource name, so a bump replaces every key and certificate. */
  readonly generation: number;
  readonly ca: {
    readonly commonName: string;
    readonly organization: string;
    readonly validityHours: number;
  };
  readonly nodes: readonly {
    readonly id: string;
    readonly commonName: string;
    readonly dnsNames: readonly string[];
    readonly ipAddresses: readonly string[];
    readonly validityHours: number;
    /** The tls provider replaces the certificate on an `up` this close to its end. */
    readonly earlyRenewalHours: number;
  }[];
}

export function certificatePlan(
  cluster: string,
  tls: ClusterSpec["tls"],
  names: CertificateNames,
): CertificatePlan {
  const days = tls.validityDays;
  const hours = (d: number) => d * 24;
  return {
    generation: tls.rotation,
    ca: {
      commonName: `warren ${cluster} CA (rotation ${tls.rotation})`,
      organization: "warren",
      validityHours: hours(Math.max(days * CA_VALIDITY_FACTOR, MIN_CA_DAYS)),
    },
    nodes: names.nodes.map((n) => ({
      id: n.id,
      commonName: n.dnsNames[0],
      dnsNames: unique([...n.dnsNames, ...names.shared]),
      ipAddresses: unique(names.ipAddresses),
      validityHours: hours(days),
      earlyRenewalHours: hours(Math.min(RENEW_DAYS, Math.floor(days / 3))),
    })),
  };
}

const unique = (xs: readonly string[]) => [...new Set(xs)];

/**
 * Docker: a node is reached by its hostname on the stack's network (dispatchers) and through its
 * published ports on 127.0.0.1 (`pulumi`, producers, the tests).
 */
export function dockerCertificateNames(hostnames: readonly string[]): CertificateNames {
  return {
    nodes: hostnames.map((h) => ({ id: h, dnsNames: [h] })),
    shared: ["localhost"],
    ipAddresses: ["127.0.0.1"],
  };
}

/**
 * Kubernetes: pod `<statefulSet>-<i>` by its names under the headless service (peers, the
 * liveness check), every pod by the client Service's names, and 127.0.0.1 (a port-forward).
 */
export function kubernetesCertificateNames(n: {
  readonly statefulSet: string;
  readonly headless: string;
  readonly clientService: string;
  readonly namespace: string;
  readonly replicas: number;
}): CertificateNames {
  const within = (host: string) => [
    `${host}.${n.namespace}.svc.cluster.local`,
    `${host}.${n.namespace}.svc`,
    `${host}.${n.namespace}`,
  ];
  return {
    nodes: Array.from({ length: n.replicas }, (_, i) => {
      const pod = `${n.statefulSet}-${i}`;
      return { id: pod, dnsNames: [...within(`${pod}.${n.headless}`), `${pod}.${n.headless}`] };
    }),
    shared: [...within(n.clientService), n.clientService, "localhost"],
    ipAddresses: ["127.0.0.1"],
  };
}
