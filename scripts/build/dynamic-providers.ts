// Part of `npm run build`: serializes warren's dynamic providers once, with the SDK's own
// serializer, into bin/dynamic-providers/<Type>.json (see components/core/dynamic-resource.ts).
// Run after tsc: it loads the compiled modules that define the providers.
import * as fs from "node:fs";
import * as path from "node:path";
import {
  PREBUILT_DIR,
  PROVIDERS,
  type PrebuiltProvider,
  componentSources,
  sdkVersion,
  serializeProvider,
} from "../../components/core/dynamic-resource";
import "../../components/core/password";
import "../../components/topology/access";
import "../../components/topology/vhost-objects";

/** The dynamic resources warren defines; a new one must be listed here (and imported above). */
export const DYNAMIC_TYPES = ["BrokerAccess", "GeneratedPassword", "VhostObjects"] as const;

async function main(): Promise<void> {
  const defined = [...PROVIDERS.keys()].sort();
  if (JSON.stringify(defined) !== JSON.stringify(DYNAMIC_TYPES))
    throw new Error(
      `dynamic providers defined: ${defined.join(", ")}; listed here: ${DYNAMIC_TYPES.join(", ")}`,
    );
  const sources = componentSources();
  const sdk = sdkVersion();
  fs.rmSync(PREBUILT_DIR, { recursive: true, force: true });
  fs.mkdirSync(PREBUILT_DIR, { recursive: true });
  for (const type of DYNAMIC_TYPES) {
    const p: PrebuiltProvider = {
      sdk,
      sources,
      text: await serializeProvider(PROVIDERS.get(type)!),
    };
    fs.writeFileSync(path.join(PREBUILT_DIR, `${type}.json`), JSON.stringify(p));
  }
}

if (require.main === module)
  main().catch((e: Error) => {
    process.stderr.write(`build: serializing the dynamic providers failed: ${e.message}\n`);
    process.exit(1);
  });
