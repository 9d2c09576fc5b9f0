// warren:rabbitmq:Topology — maps a validated topology onto @pulumi/rabbitmq resources (plus the
// few settings the provider lacks, through the management API). Decisions live in plan.ts.
import * as pulumi from "@pulumi/pulumi";
import * as rabbitmq from "@pulumi/rabbitmq";
import type { Environment } from "../core/environment";
import { type ManagementConnection, ManagementObject } from "./management";
import { GeneratedPassword } from "../core/password";
import { planTopology } from "./plan";
import type { TopologySpec } from "./spec";

export interface TopologyArgs {
  /** The validated topology (from loadWarrenSpec); it is not validated again here. */
  readonly topology: TopologySpec;
  /** dev | staging | prod. In prod, queues are retained on delete. */
  readonly environment: Environment;
  /**
   * Passwords for some users (a secret map user → password). @default every user gets a
   * generated 32-character password, kept as a secret in the stack state.
   */
  readonly passwords?: Readonly<Record<string, pulumi.Input<string>>>;
  /**
   * The management API, for what the rabbitmq provider cannot express (vhosts with their
   * metadata and limits, internal exchanges). The rabbitmq provider itself comes from
   * `opts.providers`.
   */
  readonly management: { readonly [K in keyof ManagementConnection]: pulumi.Input<ManagementConnection[K]> };
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
    const plan = planTopology(args.topology, { environment: args.environment });
    const child = (key: string) => `${name}:${key}`;
    const parent = { parent: this };
    const byKey = new Map<string, pulumi.Resource>();
    const deps = (ks: readonly string[]) => ks.map((k) => byKey.get(k)).filter((r): r is pulumi.Resource => !!r);
    const mgmt = pulumi.secret(pulumi.output(args.management));

    for (const v of plan.vhosts) {
      // Every vhost is declared through the management API, in one PUT with its metadata: the
      // provider's VHost has no description or default queue type, and RabbitMQ before 3.11.17
      // takes the default queue type only when the vhost is created
      // (rabbitmq/rabbitmq-server#7912; 3.10 spells the key `defaultqueuetype`). One resource type
      // for every vhost also means adding a description later updates the vhost in place instead
      // of replacing it (which would delete its queues).
      const vhost = new ManagementObject(
        child(v.key),
        {
          connection: mgmt,
          path: `vhosts/${encodeURIComponent(v.name)}`,
          body: {
            description: v.description,
            ...(v.defaultQueueType ? { default_queue_type: v.defaultQueueType, defaultqueuetype: v.defaultQueueType } : {}),
          },
          deleteOnDestroy: !v.retainOnDelete,
        },
        { parent: this, retainOnDelete: v.retainOnDelete },
      );
      byKey.set(v.key, vhost);
      for (const l of v.limits) {
        new ManagementObject(
          child(l.key),
          {
            connection: mgmt,
            path: `vhost-limits/${encodeURIComponent(v.name)}/${l.name}`,
            body: { value: l.value },
            deleteOnDestroy: true,
            read: { path: `vhost-limits/${encodeURIComponent(v.name)}`, contains: l.name },
          },
          { parent: this, dependsOn: [vhost], deletedWith: vhost },
        );
      }
    }

    const passwords: Record<string, pulumi.Output<string>> = {};
    for (const u of plan.users) {
      const given = args.passwords?.[u.name];
      passwords[u.name] = pulumi.secret(given ?? new GeneratedPassword(child(`password:${u.name}`), {}, parent).value);
      byKey.set(u.key, new rabbitmq.User(child(u.key), { name: u.name, password: passwords[u.name], tags: [...u.tags] }, parent));
    }

    for (const x of plan.exchanges) {
      const vhost = byKey.get(x.vhostKey)!;
      const o = { parent: this, dependsOn: [vhost, ...deps(x.dependsOn)], deleteBeforeReplace: true };
      byKey.set(
        x.key,
        x.internal
          ? new ManagementObject(
              child(x.key),
              {
                connection: mgmt,
                path: `exchanges/${encodeURIComponent(x.vhost)}/${encodeURIComponent(x.name)}`,
                body: {
                  type: x.settings.type,
                  durable: x.settings.durable,
                  auto_delete: x.settings.autoDelete,
                  internal: true,
                  arguments: x.settings.arguments,
                },
                deleteOnDestroy: true,
                immutable: true,
              },
              o,
            )
          : new rabbitmq.Exchange(child(x.key), { name: x.name, vhost: x.vhost, settings: x.settings }, o),
      );
    }

    for (const q of plan.queues) {
      byKey.set(
        q.key,
        new rabbitmq.Queue(
          child(q.key),
          { name: q.name, vhost: q.vhost, settings: q.settings },
          {
            parent: this,
            dependsOn: [byKey.get(q.vhostKey)!, ...deps(q.dependsOn)],
            // Same-name queues cannot coexist, so a changed queue is deleted before it is redeclared.
            deleteBeforeReplace: true,
            retainOnDelete: q.retainOnDelete,
          },
        ),
      );
    }

    for (const b of plan.bindings) {
      const ends = deps(b.replaceWith);
      new rabbitmq.Binding(
        child(b.key),
        {
          vhost: b.vhost,
          source: b.source,
          destination: b.destination,
          destinationType: b.destinationType,
          routingKey: b.routingKey,
          argumentsJson: b.argumentsJson,
        },
        // A replaced queue or exchange loses its bindings on the broker: recreate them with it.
        { parent: this, dependsOn: [byKey.get(b.vhostKey)!, ...ends], replaceWith: ends, deleteBeforeReplace: true },
      );
    }

    for (const p of plan.permissions) {
      new rabbitmq.Permissions(
        child(p.key),
        { user: p.user, vhost: p.vhost, permissions: p.permissions },
        { parent: this, dependsOn: [byKey.get(p.userKey)!, byKey.get(p.vhostKey)!] },
      );
    }
    for (const p of plan.topicPermissions) {
      new rabbitmq.TopicPermissions(
        child(p.key),
        { user: p.user, vhost: p.vhost, permissions: p.permissions.map((x) => ({ ...x })) },
        { parent: this, dependsOn: [byKey.get(p.userKey)!, byKey.get(p.vhostKey)!, ...deps(p.dependsOn)] },
      );
    }
    for (const p of plan.policies) {
      const o = { parent: this, dependsOn: [byKey.get(p.vhostKey)!, ...deps(p.dependsOn)] };
      const a = { name: p.name, vhost: p.vhost, policy: { ...p.policy, definition: { ...p.policy.definition } } };
      if (p.operator) new rabbitmq.OperatorPolicy(child(p.key), a, o);
      else new rabbitmq.Policy(child(p.key), a, o);
    }

    this.userPasswords = pulumi.secret(pulumi.all(passwords));
    this.vhostNames = pulumi.output(plan.vhosts.map((v) => v.name));
    this.userNames = pulumi.output(plan.users.map((u) => u.name));
    this.queueNames = pulumi.output(plan.queues.map((q) => `${q.vhost}/${q.name}`));
    this.exchangeNames = pulumi.output(plan.exchanges.map((x) => `${x.vhost}/${x.name}`));
    this.retainedOnDelete = pulumi.output([
      ...plan.vhosts.filter((v) => v.retainOnDelete).map((v) => v.name),
      ...plan.queues.filter((q) => q.retainOnDelete).map((q) => `${q.vhost}/${q.name}`),
    ]);
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
