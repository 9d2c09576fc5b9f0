// Pulumi mocks shared by the unit tests: records every resource's type, name and inputs, throws on
// any provider function call (none is expected), and awaits outputs. Call installMocks() before
// importing anything that creates resources.
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";

export interface Recorded {
  readonly type: string;
  readonly name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly inputs: Record<string, any>;
  readonly provider?: string;
  /** URN of the parent resource (e.g. the Topology component), from the registration request. */
  readonly parent?: string;
}

export interface MockRun {
  readonly resources: Recorded[];
  /** Resources of one type token, e.g. `rabbitmq:index/queue:Queue`. */
  ofType(type: string): Recorded[];
  /** The one resource of a type with a given input `name` (the broker object's name). */
  named(type: string, name: string, vhost?: string): Recorded;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
}

export function installMocks(
  config: Record<string, unknown> = {},
  secretKeys: string[] = [],
  stack = "test",
): MockRun {
  const resources: Recorded[] = [];
  const parents = new Map<string, string>();
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          provider: args.provider,
          parent: parents.get(`${args.type}::${args.name}`),
        });
        // Dynamic resources compute their outputs; mimic the password generator.
        // Computed outputs some resources have (mocks echo inputs otherwise).
        const state =
          args.type === "pulumi-nodejs:dynamic/warren:GeneratedPassword"
            ? { ...args.inputs, value: `generated-${args.name}` }
            : args.type === "docker:index/remoteImage:RemoteImage"
              ? {
                  ...args.inputs,
                  imageId: `sha256:${createHash("sha256").update(String(args.inputs.name)).digest("hex")}`,
                }
              : args.inputs;
        return { id: `${args.name}-id`, state };
      },
      call(args) {
        throw new Error(`unexpected provider function call: ${args.token}`);
      },
    },
    "warren",
    stack,
    false,
  );
  // The mocks' callback is not told a resource's parent; the registration request is.
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, cb: unknown): Promise<void>;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    if (req.getParent()) parents.set(`${req.getType()}::${req.getName()}`, req.getParent());
    return register(req, cb);
  };
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(config))
    flat[k] = typeof v === "string" ? v : JSON.stringify(v);
  pulumi.runtime.setAllConfig(flat, secretKeys);
  process.env.PULUMI_CONFIG_SECRET_KEYS = JSON.stringify(secretKeys);
  return {
    resources,
    ofType: (type) => resources.filter((r) => r.type === type),
    named(type, name, vhost) {
      const found = resources.filter(
        (r) =>
          r.type === type &&
          r.inputs.name === name &&
          (vhost === undefined || r.inputs.vhost === vhost),
      );
      if (found.length !== 1)
        throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
      return found[0];
    },
  };
}

/** The value of an Output (mocks resolve them), with whether it is secret. */
export async function valueOf<T>(o: pulumi.Output<T> | T): Promise<T> {
  if (!pulumi.Output.isInstance(o)) return o as T;
  return new Promise<T>((resolve) => (o as pulumi.Output<T>).apply((v) => resolve(v)));
}

export async function isSecretOutput(o: pulumi.Output<unknown>): Promise<boolean> {
  return pulumi.isSecret(o);
}

/** Lets every pending registration finish (resources are registered asynchronously). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}
