// warren:rabbitmq:Topology — maps a validated topology onto one VhostObjects resource per vhost
// and one BrokerAccess resource for the users and their grants, all applied through the
// management API. Decisions live in plan.ts and apply-plan.ts.
import * as pulumi from "@pulumi/pulumi";
import type { Environment } from "../core/environment";
import { BrokerAccess } from "./access";
import type { ManagementConnection } from "./management";
import { planTopology } from "./plan";
import type { TopologySpec } from "./spec";
import { VhostObjects } from "./vhost-objects";

export interface TopologyArgs {
  /** The validated topology (from loadWarrenSpec); it is not validated again here. */
  readonly topology: TopologySpec;
  /** dev | staging | prod. In prod, vhosts and queues are retained on delete. */
  readonly environment: Environment;
  /**
   * Passwords for some users (a secret map user → password). @default every user gets a
   * generated 32-character password, kept as a secret in the stack state.
   */
  readonly passwords?: Readonly<Record<string, pulumi.Input<string>>>;
  /** The management API, as an administrator. */
  readonly management: {
    readonly [K in keyof ManagementConnection]: pulumi.Input<ManagementConnection[K]>;
  };
}

export class Topology extends pulumi.ComponentResource {
  /** Every managed user's password, by user name (secret). */
  public readonly userPasswords: pulumi.Output<Record<string, string>>;
  /** The vhosts, users, exchanges and queues created, by name, for outputs. */
  public readonly vhostNames: pulumi.Output<string[]>;
  public readonly userNames: pulumi.Output<string[]>;
  public readonly queueNames: pulumi.Output<string[]>;
  public readonly exchangeNames: pulumi.Output<string[]>;
  /** Vhosts and queues (`vhost/name`) that `pulumi destroy` or a removal from config leaves on the broker. */
  public readonly retainedOnDelete: pulumi.Output<string[]>;

  constructor(name: string, args: TopologyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("warren:rabbitmq:Topology", name, {}, opts);
    const plan = planTopology(args.topology, {
      environment: args.environment,
      givenPasswords: Object.keys(args.passwords ?? {}),
    });
    const connection = pulumi.secret(pulumi.output(args.management));
    const vhosts = Object.values(plan.vhosts).map(
      (entries) =>
        new VhostObjects(
          `${name}:vhost:${entries.vhost.name}`,
          { connection, entries },
          { parent: this },
        ),
    );
    // Grants need their vhosts.
    const access = new BrokerAccess(
      `${name}:access`,
      { connection, entries: plan.access, given: args.passwords ?? {} },
      { parent: this, dependsOn: vhosts },
    );

    this.userPasswords = pulumi.secret(access.passwords);
    const vs = Object.values(plan.vhosts);
    this.vhostNames = pulumi.output(vs.map((v) => v.vhost.name));
    this.userNames = pulumi.output(Object.keys(plan.access.users));
    this.queueNames = pulumi.output(
      vs.flatMap((v) => Object.keys(v.queues).map((q) => `${v.vhost.name}/${q}`)),
    );
    this.exchangeNames = pulumi.output(
      vs.flatMap((v) => Object.keys(v.exchanges).map((x) => `${v.vhost.name}/${x}`)),
    );
    this.retainedOnDelete = pulumi.output(
      vs
        .filter((v) => v.retain)
        .flatMap((v) => [
          v.vhost.name,
          ...Object.keys(v.queues).map((q) => `${v.vhost.name}/${q}`),
        ]),
    );
    this.registerOutputs({
      userPasswords: this.userPasswords,
      vhostNames: this.vhostNames,
      userNames: this.userNames,
      queueNames: this.queueNames,
      exchangeNames: this.exchangeNames,
      retainedOnDelete: this.retainedOnDelete,
    });
  }
}
