// The dynamic providers' code serialized by `npm run build` (components/core/dynamic-resource.ts):
// every provider warren defines is built, the built text is what the SDK's serializer makes of
// the provider in this process, and a file made from other code, another SDK or none at all is
// not used.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import {
  PREBUILT_DIR,
  PROVIDERS,
  type PrebuiltProvider,
  prebuiltText,
  serializeProvider,
} from "../../../components/core/dynamic-resource";
import "../../../components/core/password";
import "../../../components/topology/access";
import "../../../components/topology/vhost-objects";
import { DYNAMIC_TYPES } from "../../../scripts/build/dynamic-providers";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "warren-dynamic-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A copy of the built file for `type` in a folder of its own, changed by `change`. */
function altered(type: string, change: (p: PrebuiltProvider) => PrebuiltProvider): string {
  const dir = fs.mkdtempSync(path.join(tmp, "d-"));
  const p = JSON.parse(
    fs.readFileSync(path.join(PREBUILT_DIR, `${type}.json`), "utf8"),
  ) as PrebuiltProvider;
  fs.writeFileSync(path.join(dir, `${type}.json`), JSON.stringify(change(p)));
  return dir;
}

describe("the dynamic providers serialized at build time", () => {
  it("are every provider warren defines, and only those", () => {
    assert.deepEqual([...PROVIDERS.keys()].sort(), [...DYNAMIC_TYPES]);
    assert.deepEqual(
      fs.readdirSync(PREBUILT_DIR).sort(),
      DYNAMIC_TYPES.map((t) => `${t}.json`),
    );
  });

  for (const type of DYNAMIC_TYPES)
    it(`${type}: the built text is current and is what the SDK's serializer makes now`, async () => {
      const built = prebuiltText(type);
      assert.ok(built, `bin/dynamic-providers/${type}.json is missing or stale`);
      assert.equal(built, await serializeProvider(PROVIDERS.get(type)!));
      assert.match(built, /^exports\.handler = /);
    });

  it("are not used when the code changed after the build", () => {
    const dir = altered("VhostObjects", (p) => ({
      ...p,
      sources: { ...p.sources, "components/topology/vhost-objects.js": "0".repeat(64) },
    }));
    assert.equal(prebuiltText("VhostObjects", dir), undefined);
  });

  it("are not used when a module was added or removed after the build", () => {
    const added = altered("VhostObjects", (p) => ({
      ...p,
      sources: { ...p.sources, "components/new.js": "0".repeat(64) },
    }));
    assert.equal(prebuiltText("VhostObjects", added), undefined);
    const removed = altered("VhostObjects", (p) => {
      const sources = { ...p.sources };
      delete sources["components/topology/vhost-objects.js"];
      return { ...p, sources };
    });
    assert.equal(prebuiltText("VhostObjects", removed), undefined);
  });

  it("are not used with another SDK version, nor when the file is missing or broken", () => {
    assert.equal(
      prebuiltText(
        "VhostObjects",
        altered("VhostObjects", (p) => ({ ...p, sdk: "0.0.0" })),
      ),
      undefined,
    );
    assert.equal(prebuiltText("VhostObjects", tmp), undefined);
    fs.writeFileSync(path.join(tmp, "BrokerAccess.json"), "{");
    assert.equal(prebuiltText("BrokerAccess", tmp), undefined);
    // The unchanged copy is used: the checks above fail for their reason only.
    assert.equal(
      prebuiltText(
        "VhostObjects",
        altered("VhostObjects", (p) => p),
      ),
      prebuiltText("VhostObjects"),
    );
  });
});
