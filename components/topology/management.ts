// Broker settings the rabbitmq provider cannot express (vhost description, default queue type and
// limits; internal exchanges), applied through RabbitMQ's management HTTP API by a small Pulumi
// dynamic provider. https://www.rabbitmq.com/docs/http-api-reference
import * as pulumi from "@pulumi/pulumi";

export interface ManagementConnection {
  /** e.g. http://127.0.0.1:15672 */
  readonly url: string;
  readonly username: string;
  readonly password: string;
}

interface ObjectInputs {
  readonly connection: ManagementConnection;
  /** API path below /api, e.g. `vhost-limits/alerting/max-queues`. */
  readonly path: string;
  readonly body: Record<string, unknown>;
  /** Whether destroying the resource deletes the object (false: it goes with its parent). */
  readonly deleteOnDestroy: boolean;
  /** Settings that cannot change in place (e.g. an exchange's); a change replaces the object. */
  readonly immutable: boolean;
  /**
   * Where refresh looks for the object when it cannot GET `path` itself (vhost limits are read
   * per vhost), and a key that must appear in the answer. @default path
   */
  readonly read?: { readonly path: string; readonly contains: string };
}

// Everything the provider uses is required inside its methods: the provider is serialized into
// the state and run later by Pulumi's dynamic-provider host, without this module's closure.
const provider: pulumi.dynamic.ResourceProvider<ObjectInputs, ObjectInputs> = {
  async create(inputs) {
    await call(inputs, "PUT");
    return { id: inputs.path, outs: inputs };
  },
  diff(_id, olds, news) {
    const changed = (["path", "body", "deleteOnDestroy", "connection"] as const).filter(
      (k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]),
    );
    const replaces = changed.filter((k) => k === "path" || (k === "body" && news.immutable));
    return Promise.resolve({ changes: changed.length > 0, replaces, deleteBeforeReplace: true });
  },
  async update(_id, _olds, news) {
    await call(news, "PUT");
    return { outs: news };
  },
  // For refresh: an object deleted out of band is reported gone; its settings are not re-read.
  async read(id, props) {
    return (await exists(props!)) ? { id, props } : {};
  },
  async delete(_id, props) {
    if (props.deleteOnDestroy) await call(props, "DELETE");
  },
};

async function exists(o: ObjectInputs): Promise<boolean> {
  const res = await request(o.read ? { ...o, path: o.read.path } : o, "GET");
  if (res.status === 404) return false;
  if (!res.ok) throw new Error(`GET ${o.read?.path ?? o.path}: ${res.status} ${res.statusText}`);
  return o.read ? (await res.text()).includes(JSON.stringify(o.read.contains)) : true;
}

async function call(o: ObjectInputs, method: "PUT" | "DELETE"): Promise<void> {
  const res = await request(o, method);
  if (method === "DELETE" && res.status === 404) return; // already gone: fine
  if (!res.ok)
    throw new Error(
      `${method} ${o.connection.url}/api/${o.path}: ${res.status} ${res.statusText}: ${(await res.text()).slice(0, 300)}`,
    );
}

async function request(o: ObjectInputs, method: "GET" | "PUT" | "DELETE"): Promise<Response> {
  const url = `${o.connection.url.replace(/\/+$/, "")}/api/${o.path}`;
  const auth = Buffer.from(`${o.connection.username}:${o.connection.password}`).toString("base64");
  try {
    return await fetch(url, {
      method,
      headers: { authorization: `Basic ${auth}`, "content-type": "application/json" },
      body: method === "PUT" ? JSON.stringify(o.body) : undefined,
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    throw new Error(
      `RabbitMQ management API at ${o.connection.url} is unreachable: ${(e as Error).message}`,
    );
  }
}

export interface ManagementObjectArgs {
  readonly connection: pulumi.Input<ManagementConnection>;
  readonly path: pulumi.Input<string>;
  readonly body: pulumi.Input<Record<string, unknown>>;
  readonly deleteOnDestroy: pulumi.Input<boolean>;
  readonly immutable?: pulumi.Input<boolean>;
  readonly read?: pulumi.Input<{ readonly path: string; readonly contains: string }>;
}

/** One object PUT to the management API (`/api/<path>`), deleted with the resource if asked. */
export class ManagementObject extends pulumi.dynamic.Resource {
  constructor(name: string, args: ManagementObjectArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { ...args, immutable: args.immutable ?? false },
      { ...opts, additionalSecretOutputs: ["connection"] },
      "warren",
      "ManagementObject",
    );
  }
}
