// Generated user passwords: random once, kept (as a secret) in the stack state, stable across
// runs, rotated by bumping `rotation`. A dynamic provider, so no extra provider plugin is needed.
import type * as pulumi from "@pulumi/pulumi";
import { DynamicResource, dynamicProvider } from "./dynamic-resource";

interface PasswordInputs {
  readonly length: number;
  readonly rotation: number;
}
interface PasswordOutputs extends PasswordInputs {
  readonly value: string;
}

const provider = dynamicProvider("GeneratedPassword", {
  create(inputs) {
    // Required inside the function: Pulumi serializes the provider's code into the state and runs
    // it later in its dynamic-provider host, without this module's imports.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
    const { randomBytes, randomUUID } = require("crypto") as typeof import("crypto");
    // base64url: no characters that need escaping in an AMQP URI.
    const value = randomBytes(Math.ceil((inputs.length * 3) / 4))
      .toString("base64url")
      .slice(0, inputs.length);
    return Promise.resolve({ id: randomUUID(), outs: { ...inputs, value } });
  },
  diff(_id, olds, news) {
    const replaces = (["length", "rotation"] as const).filter((k) => olds[k] !== news[k]);
    return Promise.resolve({ changes: replaces.length > 0, replaces });
  },
} satisfies pulumi.dynamic.ResourceProvider<PasswordInputs, PasswordOutputs>);

export interface GeneratedPasswordArgs {
  /** Characters. @default 32 */
  readonly length?: number;
  /** Change to generate a new password. @default 0 */
  readonly rotation?: number;
}

export class GeneratedPassword extends DynamicResource {
  declare public readonly value: pulumi.Output<string>;
  constructor(name: string, args: GeneratedPasswordArgs = {}, opts?: pulumi.CustomResourceOptions) {
    super(
      "GeneratedPassword",
      provider,
      name,
      { length: args.length ?? 32, rotation: args.rotation ?? 0, value: undefined },
      { ...opts, additionalSecretOutputs: ["value"] },
    );
  }
}
