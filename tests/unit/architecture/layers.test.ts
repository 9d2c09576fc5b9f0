// The layering of ARCHITECTURE.md holds for the code as it is, and the check that enforces it
// (scripts/lint/layers.ts, run by `npm run lint`) does catch a wrong-way import and a cycle.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import {
  CHECKED,
  LAYERS,
  importCycles,
  layerOf,
  layerViolations,
  readImportGraph,
  sourceFiles,
} from "../../../scripts/lint/layers";
import { PROJECT_DIR } from "../../support/program";

describe("layers", () => {
  const graph = readImportGraph(PROJECT_DIR, sourceFiles(PROJECT_DIR, CHECKED));

  it("reads the whole product", () => {
    for (const m of [
      "index",
      "components/core/issues",
      "components/platform/platform",
      "cli/warren",
      "policies",
      "components/runtimes/docker",
    ])
      assert.ok(graph.has(m), m);
    assert.ok(graph.get("index")!.includes("components/platform/platform"));
  });

  it("has no import against the layering", () => {
    assert.deepEqual(layerViolations(graph), []);
  });

  it("has no import cycle, type-only imports included", () => {
    assert.deepEqual(importCycles(graph), []);
  });

  it("places every product module in a layer", () => {
    const product = [...graph.keys()].filter((m) => !/^(tests|bench|scripts)\//.test(m));
    assert.deepEqual(
      product.filter((m) => layerOf(m) === undefined),
      [],
    );
    assert.equal(layerOf("components/runtimes/docker/cluster"), "components/runtimes/docker");
    assert.equal(layerOf("components/corex/a"), undefined);
  });

  it("reports an import that goes up, naming both ends and what was allowed", () => {
    const g = new Map([
      ["components/core/issues", ["components/config/spec"]],
      ["components/cluster/render", ["components/core/issues"]],
      ["components/runtimes/docker/cluster", ["components/runtimes/kubernetes/manifests"]],
    ]);
    assert.deepEqual(layerViolations(g), [
      "components/core/issues imports components/config/spec: components/core may import components/core",
      "components/runtimes/docker/cluster imports components/runtimes/kubernetes/manifests: components/runtimes/docker may import components/runtimes/docker, components/core, components/cluster, components/alerting",
    ]);
    assert.ok(LAYERS["components/config"].includes("components/cluster"));
  });

  it("finds cycles of any length, and a module importing itself", () => {
    const g = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a", "d"]],
      ["d", []],
      ["e", ["e"]],
    ]);
    assert.deepEqual(importCycles(g), [["a", "b", "c"], ["e"]]);
  });

  it("reads type-only, dynamic and re-export imports from the source", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "warren-layers-"));
    try {
      fs.mkdirSync(path.join(root, "x"));
      fs.writeFileSync(
        path.join(root, "x/a.ts"),
        'import type { B } from "./b";\nexport { C } from "./c";\n',
      );
      fs.writeFileSync(
        path.join(root, "x/b.ts"),
        'export type B = 1;\nexport const f = () => import("./a");\n',
      );
      fs.writeFileSync(path.join(root, "x/c.ts"), 'export const C = require("../y");\n');
      fs.mkdirSync(path.join(root, "y"));
      fs.writeFileSync(path.join(root, "y/index.ts"), "export {};\n");
      const g = readImportGraph(root, sourceFiles(root, ["x", "y"]));
      assert.deepEqual(Object.fromEntries(g), {
        "x/a": ["x/b", "x/c"],
        "x/b": ["x/a"],
        "x/c": ["y"],
        y: [],
      });
      assert.deepEqual(importCycles(g), [["x/a", "x/b"]]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
