// warren:cluster:Certificates — `warren:cluster.tls: {mode: generate}` made with the official
// tls provider: a CA (self-signed, key kept as a secret in the state) and per node a key, a
// certificate request and a certificate the CA signs. The decisions (names, lifetimes, rotation)
// are certificates.ts's plan; this only maps it onto resources.
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { type CertificatePlan, KEY } from "./certificates";

/** One node's TLS files' contents: its certificate (PEM) and its private key (PEM, secret). */
export interface NodeCertificate {
  readonly id: string;
  readonly cert: pulumi.Output<string>;
  readonly key: pulumi.Output<string>;
}

const SERVER_USES = ["digital_signature", "key_encipherment", "server_auth", "client_auth"];

export class ClusterCertificates extends pulumi.ComponentResource {
  /** The CA's certificate (PEM): what every client trusts. */
  public readonly caCert: pulumi.Output<string>;
  /** In the plan's node order. */
  public readonly nodes: readonly NodeCertificate[];

  constructor(name: string, plan: CertificatePlan, opts?: pulumi.ComponentResourceOptions) {
    super("warren:cluster:Certificates", name, {}, opts);
    const r = (what: string) => `${name}-${what}-r${plan.generation}`;
    const child = { parent: this };

    const caKey = new tls.PrivateKey(r("ca-key"), { ...KEY }, child);
    const ca = new tls.SelfSignedCert(
      r("ca"),
      {
        privateKeyPem: caKey.privateKeyPem,
        subject: { commonName: plan.ca.commonName, organization: plan.ca.organization },
        isCaCertificate: true,
        validityPeriodHours: plan.ca.validityHours,
        allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
      },
      child,
    );
    this.caCert = ca.certPem;

    this.nodes = plan.nodes.map((n) => {
      const key = new tls.PrivateKey(r(`${n.id}-key`), { ...KEY }, child);
      const request = new tls.CertRequest(
        r(`${n.id}-csr`),
        {
          privateKeyPem: key.privateKeyPem,
          subject: { commonName: n.commonName, organization: plan.ca.organization },
          dnsNames: [...n.dnsNames],
          ipAddresses: [...n.ipAddresses],
        },
        child,
      );
      const cert = new tls.LocallySignedCert(
        r(n.id),
        {
          certRequestPem: request.certRequestPem,
          caPrivateKeyPem: caKey.privateKeyPem,
          caCertPem: ca.certPem,
          validityPeriodHours: n.validityHours,
          earlyRenewalHours: n.earlyRenewalHours,
          allowedUses: SERVER_USES,
        },
        child,
      );
      return { id: n.id, cert: cert.certPem, key: pulumi.secret(key.privateKeyPem) };
    });
    this.registerOutputs({ caCert: this.caCert });
  }
}
