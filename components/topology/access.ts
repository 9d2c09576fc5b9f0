// warren:BrokerAccess — the broker's users (with their passwords), their permissions and topic
// permissions as one Pulumi resource, applied through the management API (see vhost-objects.ts
// for why one resource instead of one per object). Passwords not given are generated once (32
// characters, base64url) and kept as secrets in the state; they never appear in the inputs.
import * as pulumi from "@pulumi/pulumi";
import { DynamicResource, dynamicProvider } from "../core/dynamic-resource";
import { type ManagementConnection, apiPath, callApi, eachLimited } from "./management";

export interface UserEntry {
  readonly name: string;
  readonly tags: readonly string[];
}
export interface PermissionsEntry {
  readonly user: string;
  readonly vhost: string;
  readonly permissions: {
    readonly configure: string;
    readonly write: string;
    readonly read: string;
  };
}
export interface TopicPermissionsEntry {
  readonly user: string;
  readonly vhost: string;
  readonly permissions: readonly {
    readonly exchange: string;
    readonly write: string;
    readonly read: string;
  }[];
}

export interface AccessEntries {
  readonly users: Readonly<Record<string, UserEntry>>;
  readonly permissions: Readonly<Record<string, PermissionsEntry>>;
  readonly topicPermissions: Readonly<Record<string, TopicPermissionsEntry>>;
  /** Users whose password warren generates. */
  readonly generate: readonly string[];
}

interface Inputs extends AccessEntries {
  readonly connection: ManagementConnection;
  /** The passwords given in config, by user (secret). */
  readonly given: Readonly<Record<string, string>>;
}
interface Outputs extends Inputs {
  /** Every user's password: given or generated (secret). */
  readonly passwords: Readonly<Record<string, string>>;
}

const WIDTH = 8;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const removed = (olds: object | undefined, news: object) =>
  Object.keys(olds ?? {}).filter((k) => !(k in news));
const changedOrNew = <E>(olds: Readonly<Record<string, E>> | undefined, news: Record<string, E>) =>
  Object.keys(news).filter((k) => !olds || !same(olds[k], news[k]));

function passwordsFor(news: Inputs, olds: Outputs | undefined): Record<string, string> {
  // Required here: the provider is serialized into the state and run without this module.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
  const { randomBytes } = require("crypto") as typeof import("crypto");
  const out: Record<string, string> = {};
  for (const u of news.generate)
    out[u] =
      olds?.passwords[u] !== undefined && !(u in (olds.given ?? {}))
        ? olds.passwords[u]
        : randomBytes(24).toString("base64url");
  return { ...out, ...news.given };
}

async function apply(news: Inputs, olds: Outputs | undefined): Promise<Outputs> {
  const c = news.connection;
  const passwords = passwordsFor(news, olds);
  const gone = { missingOk: true };
  // Removed grants and users first, then users, then grants.
  await eachLimited(removed(olds?.permissions, news.permissions), WIDTH, (k) => {
    const p = olds!.permissions[k];
    return callApi(c, "DELETE", apiPath("permissions", p.vhost, p.user), undefined, gone);
  });
  const topicChanged = changedOrNew(olds?.topicPermissions, news.topicPermissions);
  await eachLimited(
    [
      ...removed(olds?.topicPermissions, news.topicPermissions),
      ...topicChanged.filter((k) => olds?.topicPermissions[k]),
    ],
    WIDTH,
    (k) => {
      const p = olds!.topicPermissions[k];
      return callApi(c, "DELETE", apiPath("topic-permissions", p.vhost, p.user), undefined, gone);
    },
  );
  await eachLimited(removed(olds?.users, news.users), WIDTH, (u) =>
    callApi(c, "DELETE", apiPath("users", u), undefined, gone),
  );
  const users = Object.keys(news.users).filter(
    (u) => !olds || !same(olds.users[u], news.users[u]) || olds.passwords[u] !== passwords[u],
  );
  await eachLimited(users, WIDTH, (u) =>
    callApi(c, "PUT", apiPath("users", u), {
      password: passwords[u],
      tags: news.users[u].tags.join(","),
    }),
  );
  await eachLimited(changedOrNew(olds?.permissions, news.permissions), WIDTH, (k) => {
    const p = news.permissions[k];
    return callApi(c, "PUT", apiPath("permissions", p.vhost, p.user), p.permissions);
  });
  await eachLimited(topicChanged, WIDTH, async (k) => {
    const p = news.topicPermissions[k];
    for (const t of p.permissions)
      await callApi(c, "PUT", apiPath("topic-permissions", p.vhost, p.user), t);
  });
  return { ...news, passwords };
}

const provider = dynamicProvider("BrokerAccess", {
  diff(_id, olds, news) {
    const keys = [
      "users",
      "permissions",
      "topicPermissions",
      "generate",
      "given",
      "connection",
    ] as const;
    const changes = keys.some((k) => !same(olds[k], news[k]));
    return Promise.resolve({ changes });
  },
  async create(inputs) {
    return { id: "access", outs: await apply(inputs, undefined) };
  },
  async update(_id, olds, news) {
    return { outs: await apply(news, olds) };
  },
  // For refresh: users deleted out of band are dropped from the state (the next `up` creates
  // them again, with the same password); grants and tags are not re-read.
  async read(id, props) {
    const p = props!;
    const live = ((await callApi(p.connection, "GET", "users")) ?? []) as { name: string }[];
    const names = new Set(live.map((u) => u.name));
    const users = Object.fromEntries(Object.entries(p.users).filter(([u]) => names.has(u)));
    return { id, props: { ...p, users } };
  },
  async delete(_id, props) {
    // Deleting a user deletes its permissions and topic permissions with it.
    await eachLimited(Object.keys(props.users), WIDTH, (u) =>
      callApi(props.connection, "DELETE", apiPath("users", u), undefined, { missingOk: true }),
    );
  },
} satisfies pulumi.dynamic.ResourceProvider<Inputs, Outputs>);

export interface BrokerAccessArgs {
  readonly connection: pulumi.Input<ManagementConnection>;
  readonly entries: AccessEntries;
  /** Passwords given in config, by user. */
  readonly given: pulumi.Input<Readonly<Record<string, pulumi.Input<string>>>>;
}

/** Users, passwords and grants, applied as a whole (see the header). */
export class BrokerAccess extends DynamicResource {
  /** Every user's password, given or generated (secret). */
  declare public readonly passwords: pulumi.Output<Record<string, string>>;
  constructor(name: string, args: BrokerAccessArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "BrokerAccess",
      provider,
      name,
      {
        ...args.entries,
        connection: args.connection,
        given: pulumi.secret(args.given),
        passwords: undefined,
      },
      { ...opts, additionalSecretOutputs: ["connection", "given", "passwords"] },
    );
  }
}
