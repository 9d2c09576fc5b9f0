// The secrets a cluster runtime generates once per stack and keeps in its state: the Erlang
// cookie (identical on every node), the admin password, and the admin definitions file holding
// only a salted hash of that password (see definitions.ts).
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { GeneratedPassword } from "../core/password";
import { type RenderedFile, renderErlangCookie } from "./render";
import { hashPassword, renderDefinitions } from "./definitions";

export interface ClusterCredentials {
  readonly adminUsername: string;
  readonly adminPassword: pulumi.Output<string>;
  /** `$HOME/.erlang.cookie`, mode 0600, secret. */
  readonly cookie: pulumi.Output<RenderedFile>;
  /** `/etc/rabbitmq/definitions.json` with the admin's password hash, secret. */
  readonly definitions: pulumi.Output<RenderedFile>;
}

/** Creates the generated secrets as children of `parent`, named `${name}-<role>`. */
export function clusterCredentials(
  name: string,
  adminUsername: string,
  parent: pulumi.Resource,
): ClusterCredentials {
  const opts = { parent };
  const cookie = new GeneratedPassword(`${name}-erlang-cookie`, { length: 48 }, opts);
  const password = new GeneratedPassword(`${name}-admin-password`, { length: 32 }, opts);
  const salt = new GeneratedPassword(`${name}-admin-salt`, { length: 16 }, opts);
  const definitions = pulumi.all([password.value, salt.value]).apply(([p, s]) =>
    // The hash's 4-byte salt comes from a generated string, so the file is stable across runs.
    renderDefinitions({
      username: adminUsername,
      passwordHash: hashPassword(p, createHash("sha256").update(s).digest().subarray(0, 4)),
    }),
  );
  return {
    adminUsername,
    adminPassword: pulumi.secret(password.value),
    cookie: pulumi.secret(cookie.value.apply((c) => renderErlangCookie(c))),
    definitions: pulumi.secret(definitions),
  };
}

/** What both cluster runtimes expose, so the program wires either the same way. */
export interface ClusterOutputs {
  /** AMQP as reachable from inside the runtime (consumers), `host:port`. */
  readonly amqpEndpoint: pulumi.Output<string>;
  /** AMQP as reachable from where `pulumi` runs, `host:port`. */
  readonly amqpEndpointFromHost: pulumi.Output<string>;
  /**
   * Every node's AMQP `host:port` from inside the runtime (or one name that resolves to every
   * ready node): clients rotate over them, so losing any one node stalls nothing.
   */
  readonly amqpEndpoints: pulumi.Output<string[]>;
  /** Every node's AMQP `host:port` from where `pulumi` runs: what producers are given. */
  readonly amqpEndpointsFromHost: pulumi.Output<string[]>;
  /** The management API from inside the runtime. */
  readonly managementUrlInternal: pulumi.Output<string>;
  /** The management API as reachable from where `pulumi` runs (the rabbitmq provider's endpoint). */
  readonly managementUrl: pulumi.Output<string>;
  readonly adminUsername: pulumi.Output<string>;
  readonly adminPassword: pulumi.Output<string>;
  /** Erlang node names, e.g. rabbit@warren-rabbit-1. */
  readonly nodeNames: pulumi.Output<string[]>;
  /**
   * With `warren:cluster.tls` on: the CA (PEM) the nodes' certificates chain to, which every
   * client trusts; the endpoints above are then TLS ones (https, amqps).
   */
  readonly caCert?: pulumi.Output<string>;
}
