// The import rules of ARCHITECTURE.md, checked: every relative import of the product code goes to
// its own layer or one below, and no module imports itself through others (no cycles, type-only
// imports included). `npm run lint` runs it; tests/unit/architecture/layers.test.ts proves it
// catches both kinds of fault.
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";

/** A module → the modules it imports (repo-relative paths without extension). */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

/**
 * The layers, bottom first: a module may import its own layer and those it lists. Modules are
 * matched by the longest prefix. tests/, bench/ and scripts/ sit above everything and are not
 * checked for layering (only for cycles).
 */
export const LAYERS: Readonly<Record<string, readonly string[]>> = {
  "components/core": [],
  "components/topology": ["components/core"],
  "components/cluster": ["components/core"],
  "components/alerting": ["components/core", "components/topology"],
  "components/config": [
    "components/core",
    "components/topology",
    "components/cluster",
    "components/alerting",
  ],
  "components/runtimes/docker": ["components/core", "components/cluster", "components/alerting"],
  "components/runtimes/kubernetes": [
    "components/core",
    "components/cluster",
    "components/alerting",
  ],
  "components/platform": [
    "components/core",
    "components/topology",
    "components/cluster",
    "components/alerting",
    "components/config",
    "components/runtimes/docker",
    "components/runtimes/kubernetes",
  ],
  review: ["components/core", "components/topology", "components/alerting", "components/config"],
  policies: ["components/core", "components/topology", "components/alerting", "components/config"],
  "apps/dispatcher": [],
  "apps/sink": [],
  // The producer speaks the dispatcher's alert schema (one definition of the message).
  "apps/producer": ["apps/dispatcher"],
  cli: [
    "components/core",
    "components/topology",
    "components/alerting",
    "components/config",
    "review",
    "apps/dispatcher",
    "apps/producer",
  ],
  index: ["components/alerting", "components/config", "components/platform"],
};

/** The layer a module belongs to (longest matching prefix), or undefined outside the product. */
export function layerOf(module: string, layers = LAYERS): string | undefined {
  let best: string | undefined;
  for (const layer of Object.keys(layers))
    if (
      (module === layer || module.startsWith(`${layer}/`)) &&
      (!best || layer.length > best.length)
    )
      best = layer;
  return best;
}

/** Imports that leave a module's layer for one it may not use. */
export function layerViolations(graph: ImportGraph, layers = LAYERS): string[] {
  const out: string[] = [];
  for (const [from, targets] of graph) {
    const own = layerOf(from, layers);
    if (!own) continue;
    for (const to of targets) {
      const theirs = layerOf(to, layers);
      if (theirs === own || (theirs && layers[own].includes(theirs))) continue;
      out.push(`${from} imports ${to}: ${own} may import ${[own, ...layers[own]].join(", ")}`);
    }
  }
  return out.sort();
}

/** Every import cycle (Tarjan's strongly connected components), each as a module path. */
export function importCycles(graph: ImportGraph): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) !== indices.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(scc.reverse());
  };
  for (const v of [...graph.keys()].sort()) if (!indices.has(v)) visit(v);
  return cycles;
}

/** The relative imports (static, dynamic, require, `export … from`) of each TypeScript file. */
export function readImportGraph(root: string, files: readonly string[]): ImportGraph {
  const graph = new Map<string, string[]>();
  const strip = (f: string) => f.replace(/\.ts$/, "").replace(/\/index$/, "");
  for (const file of files) {
    const info = ts.preProcessFile(fs.readFileSync(path.join(root, file), "utf8"), true, true);
    const targets = info.importedFiles
      .map((i) => i.fileName)
      .filter((spec) => spec.startsWith("."))
      .map((spec) => resolve(root, path.dirname(file), spec))
      .filter((t): t is string => t !== undefined)
      .map(strip);
    graph.set(strip(file), [...new Set(targets)]);
  }
  return graph;
}

function resolve(root: string, dir: string, spec: string): string | undefined {
  const base = path.normalize(path.join(dir, spec));
  for (const candidate of [`${base}.ts`, path.join(base, "index.ts")])
    if (fs.existsSync(path.join(root, candidate))) return candidate;
  return undefined; // JSON, or a file outside TypeScript: not a module of ours
}

/** The TypeScript files under the given folders (and single files), repo-relative. */
export function sourceFiles(root: string, entries: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const abs = path.join(root, rel);
    if (!fs.existsSync(abs)) return;
    if (fs.statSync(abs).isFile()) {
      if (rel.endsWith(".ts") && !rel.endsWith(".d.ts")) out.push(rel);
      return;
    }
    for (const e of fs.readdirSync(abs))
      if (e !== "node_modules" && e !== "dist") walk(path.join(rel, e));
  };
  entries.forEach(walk);
  return out.sort();
}

export const CHECKED = [
  "index.ts",
  "components",
  "review",
  "cli",
  "policies",
  "apps",
  "tests",
  "bench",
  "scripts",
];

function main(): number {
  const root = path.resolve(__dirname, "..", "..", "..");
  const graph = readImportGraph(root, sourceFiles(root, CHECKED));
  const problems = [
    ...layerViolations(graph),
    ...importCycles(graph).map((c) => `import cycle: ${[...c, c[0]].join(" -> ")}`),
  ];
  for (const p of problems) console.error(`layers: ${p}`);
  console.error(
    `layers: ${graph.size} modules, ${problems.length} problem${problems.length === 1 ? "" : "s"}`,
  );
  return problems.length ? 1 : 0;
}

if (require.main === module) process.exit(main());
