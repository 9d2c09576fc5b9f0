// Pulumi mocks shared by the unit tests: records every resource's type, name and inputs, throws on
// any provider function call (none is expected), and awaits outputs. Call installMocks() before
// importing anything that creates resources.
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import type { Inputs, InputsOf } from "./inputs";

export type { Inputs, InputsOf, RecordedInputs, SecretEnvelope } from "./inputs";

/** A registered resource; `I`, what its inputs are known to be (see ./inputs). */
export interface Recorded<I = Inputs> {
  readonly type: string;
  readonly name: string;
  /** As the engine would send them: Outputs resolved, secrets in Pulumi's secret envelope. */
  readonly inputs: I;
  readonly provider?: string;
  /** URN of the parent resource (e.g. the Topology component), from the registration request. */
  readonly parent?: string;
}

export interface MockRun {
  readonly resources: Recorded[];
  /** Resources of one type token, e.g. `rabbitmq:index/queue:Queue`. */
  ofType<K extends string>(type: K): Recorded<InputsOf<K>>[];
  /** The one resource of a type with a given input `name` (the broker object's name). */
  named<K extends string>(type: K, name: string, vhost?: string): Recorded<InputsOf<K>>;
  /** The inputs of the one VhostObjects resource for `vhost` (of the Topology named `topology`). */
  vhost(vhost: string, topology?: string): InputsOf<typeof VHOST_OBJECTS>;
  /** The inputs of the one BrokerAccess resource (of the Topology named `topology`). */
  access(topology?: string): InputsOf<typeof BROKER_ACCESS>;
}

export const VHOST_OBJECTS = "pulumi-nodejs:dynamic/warren:VhostObjects";
export const BROKER_ACCESS = "pulumi-nodejs:dynamic/warren:BrokerAccess";

/** What the tls provider computes, as recognisable stand-ins named after the resource. */
const TLS_OUTPUTS: Record<string, (name: string) => Inputs> = {
  "tls:index/privateKey:PrivateKey": (n) => ({ privateKeyPem: `mock private key ${n}` }),
  "tls:index/selfSignedCert:SelfSignedCert": (n) => ({ certPem: `mock certificate ${n}` }),
  "tls:index/certRequest:CertRequest": (n) => ({ certRequestPem: `mock request ${n}` }),
  "tls:index/locallySignedCert:LocallySignedCert": (n) => ({ certPem: `mock certificate ${n}` }),
};

function one<R extends Recorded>(found: R[], what: string): R {
  if (found.length !== 1) throw new Error(`expected one ${what}, found ${found.length}`);
  return found[0];
}

/** A recorded resource of type token `K`, with the inputs resources of that type have. */
function typed<K extends string>(r: Recorded): Recorded<InputsOf<K>> {
  return r as Recorded<InputsOf<K>>;
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
  // setMocks is async only in its signature: its body has no await, so the mock monitor is
  // installed before it returns (getMonitor() below relies on that) and there is nothing left to
  // wait for. Awaiting would make installMocks async, and tests call it before their imports.
  void pulumi.runtime.setMocks(
    {
      newResource(args) {
        const inputs = args.inputs as Inputs;
        resources.push({
          type: args.type,
          name: args.name,
          inputs,
          provider: args.provider,
          parent: parents.get(`${args.type}::${args.name}`),
        });
        // Computed outputs some resources have (mocks echo inputs otherwise); dynamic resources
        // compute theirs: mimic the password generators.
        const state =
          args.type === "pulumi-nodejs:dynamic/warren:GeneratedPassword"
            ? { ...inputs, value: `generated-${args.name}` }
            : args.type === BROKER_ACCESS
              ? { ...inputs, passwords: mockPasswords(args.name, inputs) }
              : args.type === "docker:index/remoteImage:RemoteImage"
                ? {
                    ...inputs,
                    imageId: `sha256:${createHash("sha256").update(String(inputs.name)).digest("hex")}`,
                  }
                : { ...inputs, ...TLS_OUTPUTS[args.type]?.(args.name) };
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
    ofType<K extends string>(type: K) {
      return resources.filter((r) => r.type === type).map((r) => typed<K>(r));
    },
    named<K extends string>(type: K, name: string, vhost?: string) {
      const found = resources.filter(
        (r) =>
          r.type === type &&
          r.inputs.name === name &&
          (vhost === undefined || r.inputs.vhost === vhost),
      );
      if (found.length !== 1)
        throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
      return typed<K>(found[0]);
    },
    vhost(vhost, topology) {
      const found = resources.filter(
        (r) =>
          r.type === VHOST_OBJECTS &&
          (topology === undefined || r.name === `${topology}:vhost:${vhost}`) &&
          (r.inputs.vhost as { name: string }).name === vhost,
      );
      return typed<typeof VHOST_OBJECTS>(one(found, `VhostObjects for vhost ${vhost}`)).inputs;
    },
    access(topology) {
      const found = resources.filter(
        (r) =>
          r.type === BROKER_ACCESS && (topology === undefined || r.name === `${topology}:access`),
      );
      return typed<typeof BROKER_ACCESS>(one(found, "BrokerAccess")).inputs;
    },
  };
}

/**
 * A BrokerAccess's passwords as the provider would output them: generated (`generated-<topology>
 * :password:<user>` here), then given.
 */
function mockPasswords(name: string, inputs: Inputs): Record<string, string> {
  const topology = name.replace(/:access$/, "");
  const given = (inputs.given as { value?: Record<string, string> } | undefined)?.value ?? {};
  const generated = (inputs.generate as string[]).map((u): [string, string] => [
    u,
    `generated-${topology}:password:${u}`,
  ]);
  return { ...Object.fromEntries(generated), ...given };
}

/** The value of an Output (mocks resolve them), with whether it is secret. */
export async function valueOf<T>(o: pulumi.Output<T> | T): Promise<T> {
  if (!pulumi.Output.isInstance(o)) return o;
  return new Promise<T>((resolve) => o.apply((v) => resolve(v)));
}

export async function isSecretOutput(o: pulumi.Output<unknown>): Promise<boolean> {
  return pulumi.isSecret(o);
}

/** Lets every pending registration finish (resources are registered asynchronously). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}
