// warren's dynamic resources (VhostObjects, BrokerAccess, GeneratedPassword), with their provider
// code serialized once when warren is built instead of in every program run.
//
// A Pulumi dynamic resource carries its provider's code in the `__provider` input: the SDK's
// `pulumi.dynamic.Resource` serializes the provider (closure capture with the V8 inspector and
// a TypeScript parse of every function it reaches) each time a program starts, which was a few
// hundred milliseconds of every `pulumi preview` and `up`. `npm run build` runs the same SDK
// serializer once (scripts/build/dynamic-providers.ts) and writes its text to
// bin/dynamic-providers/<Type>.json, with the sha256 of every compiled module of components/
// and the SDK's version. A program uses that text when all of them still match, and otherwise
// serializes at run time exactly as the SDK does, so a stale or missing file only costs time.
// The resource is what `pulumi.dynamic.Resource` makes: type `pulumi-nodejs:dynamic/warren:<Type>`,
// the provider's text in `__provider`, run by the SDK's own dynamic-provider host.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

/** The resource type of the dynamic resource `type` (as `pulumi.dynamic.Resource` names it). */
export const dynamicType = (type: string): string => `pulumi-nodejs:dynamic/warren:${type}`;

/** bin/: this file is bin/components/core/dynamic-resource.js once compiled. */
const BIN = path.resolve(__dirname, "..", "..");
/** Where the build writes the serialized providers. */
export const PREBUILT_DIR = path.join(BIN, "dynamic-providers");

/** What the build writes for one provider. */
export interface PrebuiltProvider {
  /** The @pulumi/pulumi version whose serializer made `text`. */
  readonly sdk: string;
  /** sha256 of every compiled module under bin/components, by path relative to bin/. */
  readonly sources: Readonly<Record<string, string>>;
  /** The serialized provider, as `pulumi.runtime.serializeFunction(() => provider)` gives it. */
  readonly text: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- providers have their own types
type AnyProvider = pulumi.dynamic.ResourceProvider<any, any>;

/** Every provider a module defines with `dynamicProvider`, by type (for the build). */
export const PROVIDERS = new Map<string, AnyProvider>();

/** Registers `provider` as the provider of dynamic resources of `type`; returns it. */
export function dynamicProvider<P extends AnyProvider>(type: string, provider: P): P {
  PROVIDERS.set(type, provider);
  return provider;
}

/** The SDK's serialization of `provider`, as `pulumi.dynamic.Resource` does it. */
export async function serializeProvider(provider: AnyProvider): Promise<string> {
  const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  if (sf.containsSecrets)
    throw new Error("a dynamic provider must not capture secrets: it is stored as plain code");
  return sf.text;
}

/** The @pulumi/pulumi version this program runs with. */
export function sdkVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a JSON file of the package
  return (require("@pulumi/pulumi/package.json") as { version: string }).version;
}

/** sha256 of every compiled module under bin/components, by path relative to bin/. */
export function componentSources(bin: string = BIN): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".js"))
        out[path.relative(bin, p)] = crypto
          .createHash("sha256")
          .update(fs.readFileSync(p))
          .digest("hex");
    }
  };
  walk(path.join(bin, "components"));
  return out;
}

let current: Record<string, string> | undefined;

/** The prebuilt text for `type` if it was made from exactly this code and SDK, else undefined. */
export function prebuiltText(type: string, dir: string = PREBUILT_DIR): string | undefined {
  let p: PrebuiltProvider;
  try {
    p = JSON.parse(fs.readFileSync(path.join(dir, `${type}.json`), "utf8")) as PrebuiltProvider;
  } catch {
    return undefined;
  }
  if (p.sdk !== sdkVersion()) return undefined;
  current ??= componentSources();
  const now = current;
  const same =
    Object.keys(p.sources).length === Object.keys(now).length &&
    Object.entries(p.sources).every(([f, h]) => now[f] === h);
  return same ? p.text : undefined;
}

/** Each type's provider text, found or serialized once per program run (as the SDK caches it). */
const texts = new Map<string, string | Promise<string>>();

/**
 * A dynamic resource of `type` run by `provider`: the same resource `pulumi.dynamic.Resource`
 * makes, with the provider's prebuilt text when it is current.
 */
export class DynamicResource extends pulumi.CustomResource {
  constructor(
    type: string,
    provider: AnyProvider,
    name: string,
    props: pulumi.Inputs,
    opts?: pulumi.CustomResourceOptions,
  ) {
    if ("__provider" in props) throw new Error("a dynamic resource must not define __provider");
    let text = texts.get(type);
    if (text === undefined)
      texts.set(type, (text = prebuiltText(type) ?? serializeProvider(provider)));
    super(dynamicType(type), name, { ...props, __provider: text }, opts);
  }
}
