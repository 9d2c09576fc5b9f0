// warren:rabbitmq:Topology — maps a validated topology onto @pulumi/rabbitmq resources (plus the
// few settings the provider lacks, through the management API). Decisions live in plan.ts.
import * as pulumi from "@pulumi/pulumi";
import * as rabbitmq from "@pulumi/rabbitmq";
import type { Environment } from "../core/environment";
import { type ManagementConnection, ManagementObject } from "./management";
import { GeneratedPassword } from "../core/password";
import { type TopologyPlan, planTopology } from "./plan";
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
    const plan = planTopology(args.topology, { environment: args.environment });
    const resources = new TopologyResources(
      name,
      this,
      pulumi.secret(pulumi.output(args.management)),
    );
    resources.vhosts(plan);
    const passwords = resources.users(plan, args.passwords);
    resources.exchanges(plan);
    resources.queues(plan);
    resources.bindings(plan);
    resources.accessAndPolicies(plan);

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

/** Creates the resources of one plan, in dependency order, remembering each by its plan key. */
class TopologyResources {
  private readonly byKey = new Map<string, pulumi.Resource>();
  private readonly opts: pulumi.CustomResourceOptions;

  constructor(
    private readonly name: string,
    private readonly parent: pulumi.Resource,
    private readonly mgmt: pulumi.Output<ManagementConnection>,
  ) {
    this.opts = { parent };
  }

  private child(key: string): string {
    return `${this.name}:${key}`;
  }

  private deps(ks: readonly string[]): pulumi.Resource[] {
    return ks.map((k) => this.byKey.get(k)).filter((r): r is pulumi.Resource => !!r);
  }

  vhosts(plan: TopologyPlan): void {
    for (const v of plan.vhosts) {
      // Every vhost is declared through the management API, in one PUT with its metadata: the
      // provider's VHost has no description or default queue type, and RabbitMQ before 3.11.17
      // takes the default queue type only when the vhost is created
      // (rabbitmq/rabbitmq-server#7912; 3.10 spells the key `defaultqueuetype`). One resource type
      // for every vhost also means adding a description later updates the vhost in place instead
      // of replacing it (which would delete its queues).
      const vhost = new ManagementObject(
        this.child(v.key),
        {
          connection: this.mgmt,
          path: `vhosts/${encodeURIComponent(v.name)}`,
          body: {
            description: v.description,
            ...(v.defaultQueueType
              ? { default_queue_type: v.defaultQueueType, defaultqueuetype: v.defaultQueueType }
              : {}),
          },
          deleteOnDestroy: !v.retainOnDelete,
        },
        { parent: this.parent, retainOnDelete: v.retainOnDelete },
      );
      this.byKey.set(v.key, vhost);
      for (const l of v.limits) {
        new ManagementObject(
          this.child(l.key),
          {
            connection: this.mgmt,
            path: `vhost-limits/${encodeURIComponent(v.name)}/${l.name}`,
            body: { value: l.value },
            deleteOnDestroy: true,
            read: { path: `vhost-limits/${encodeURIComponent(v.name)}`, contains: l.name },
          },
          { parent: this.parent, dependsOn: [vhost], deletedWith: vhost },
        );
      }
    }
  }

  users(
    plan: TopologyPlan,
    explicit: TopologyArgs["passwords"],
  ): Record<string, pulumi.Output<string>> {
    const passwords: Record<string, pulumi.Output<string>> = {};
    for (const u of plan.users) {
      const given = explicit?.[u.name];
      passwords[u.name] = pulumi.secret(
        given ?? new GeneratedPassword(this.child(`password:${u.name}`), {}, this.opts).value,
      );
      this.byKey.set(
        u.key,
        new rabbitmq.User(
          this.child(u.key),
          { name: u.name, password: passwords[u.name], tags: [...u.tags] },
          this.opts,
        ),
      );
    }
    return passwords;
  }

  exchanges(plan: TopologyPlan): void {
    for (const x of plan.exchanges) {
      const vhost = this.byKey.get(x.vhostKey)!;
      const o = {
        parent: this.parent,
        dependsOn: [vhost, ...this.deps(x.dependsOn)],
        deleteBeforeReplace: true,
      };
      this.byKey.set(
        x.key,
        x.internal
          ? new ManagementObject(
              this.child(x.key),
              {
                connection: this.mgmt,
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
          : new rabbitmq.Exchange(
              this.child(x.key),
              { name: x.name, vhost: x.vhost, settings: x.settings },
              o,
            ),
      );
    }
  }

  queues(plan: TopologyPlan): void {
    for (const q of plan.queues) {
      this.byKey.set(
        q.key,
        new rabbitmq.Queue(
          this.child(q.key),
          { name: q.name, vhost: q.vhost, settings: q.settings },
          {
            parent: this.parent,
            dependsOn: [this.byKey.get(q.vhostKey)!, ...this.deps(q.dependsOn)],
            // Same-name queues cannot coexist, so a changed queue is deleted before it is redeclared.
            deleteBeforeReplace: true,
            retainOnDelete: q.retainOnDelete,
          },
        ),
      );
    }
  }

  bindings(plan: TopologyPlan): void {
    for (const b of plan.bindings) {
      const ends = this.deps(b.replaceWith);
      new rabbitmq.Binding(
        this.child(b.key),
        {
          vhost: b.vhost,
          source: b.source,
          destination: b.destination,
          destinationType: b.destinationType,
          routingKey: b.routingKey,
          argumentsJson: b.argumentsJson,
        },
        // A replaced queue or exchange loses its bindings on the broker: recreate them with it.
        {
          parent: this.parent,
          dependsOn: [this.byKey.get(b.vhostKey)!, ...ends],
          replaceWith: ends,
          deleteBeforeReplace: true,
        },
      );
    }
  }

  accessAndPolicies(plan: TopologyPlan): void {
    for (const p of plan.permissions) {
      new rabbitmq.Permissions(
        this.child(p.key),
        { user: p.user, vhost: p.vhost, permissions: p.permissions },
        {
          parent: this.parent,
          dependsOn: [this.byKey.get(p.userKey)!, this.byKey.get(p.vhostKey)!],
        },
      );
    }
    for (const p of plan.topicPermissions) {
      new rabbitmq.TopicPermissions(
        this.child(p.key),
        { user: p.user, vhost: p.vhost, permissions: p.permissions.map((x) => ({ ...x })) },
        {
          parent: this.parent,
          dependsOn: [
            this.byKey.get(p.userKey)!,
            this.byKey.get(p.vhostKey)!,
            ...this.deps(p.dependsOn),
          ],
        },
      );
    }
    for (const p of plan.policies) {
      const o = {
        parent: this.parent,
        dependsOn: [this.byKey.get(p.vhostKey)!, ...this.deps(p.dependsOn)],
      };
      const a = {
        name: p.name,
        vhost: p.vhost,
        policy: { ...p.policy, definition: { ...p.policy.definition } },
      };
      if (p.operator) new rabbitmq.OperatorPolicy(this.child(p.key), a, o);
      else new rabbitmq.Policy(this.child(p.key), a, o);
    }
  }
}
