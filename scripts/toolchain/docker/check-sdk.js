#!/usr/bin/env node
// Compares the schema our pulumi-resource-docker serves with the contract of the npm SDK
// @pulumi/docker (tokens, property names, their types and which are required), read from the SDK's
// own .d.ts files with the TypeScript compiler API. Prints one line per difference:
//
//   node scripts/toolchain/docker/check-sdk.js [--json] [SCHEMA.json [SDK_DIR]]
//
// SCHEMA.json defaults to the output of `pulumi-resource-docker schema` (the binary from PATH),
// SDK_DIR to node_modules/@pulumi/docker. Lines look like
//   docker:index/container:Container input gpus: only in the provider
//   docker:index/ContainerUpload:ContainerUpload permissions: type string (SDK: number)
// "only in the SDK" is a property a program can set but the provider does not know (a gap);
// "only in the provider" is a newer Terraform property the 4.6.2 SDK cannot express (harmless).
// Exit status 0; tests compare the lines with the known gaps (tests/integration/docker-provider.test.ts).
"use strict";
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");

const repo = path.resolve(__dirname, "../../..");
const ts = require(require.resolve("typescript", { paths: [repo] }));

/** The SDK's view: resources, functions and types, each a map name -> {kind, optional}. */
function readSdk(sdkDir) {
  const files = fs.readdirSync(sdkDir).filter((f) => f.endsWith(".d.ts"));
  // setParentNodes: getText() needs them.
  const sourceOf = (f) => ts.createSourceFile(f, fs.readFileSync(f, "utf8"), ts.ScriptTarget.Latest, true);
  const resources = {};
  const functions = {};
  for (const f of files) {
    const file = path.join(sdkDir, f);
    const sf = sourceOf(file);
    const js = fs.existsSync(file.replace(/\.d\.ts$/, ".js")) ? fs.readFileSync(file.replace(/\.d\.ts$/, ".js"), "utf8") : "";
    const ifaces = interfaces(sf);
    const resTok = /__pulumiType = '([^']+)'/.exec(js);
    if (resTok && f !== "provider.d.ts") {
      const cls = Object.keys(ifaces).find((n) => n.endsWith("Args"))?.replace(/Args$/, "");
      resources[resTok[1]] = { inputs: ifaces[`${cls}Args`] ?? {}, state: ifaces[`${cls}State`] ?? {} };
      continue;
    }
    const fnTok = /invoke\("([^"]+)"/.exec(js);
    if (fnTok) {
      const args = Object.keys(ifaces).find((n) => /^Get.*Args$/.test(n));
      const result = Object.keys(ifaces).find((n) => /^Get.*Result$/.test(n));
      functions[fnTok[1]] = { inputs: args ? ifaces[args] : {}, outputs: result ? ifaces[result] : {} };
    }
  }
  const types = { input: interfaces(sourceOf(path.join(sdkDir, "types", "input.d.ts"))), output: interfaces(sourceOf(path.join(sdkDir, "types", "output.d.ts"))) };
  const provider = interfaces(sourceOf(path.join(sdkDir, "provider.d.ts"))).ProviderArgs ?? {};
  return { resources, functions, types, provider };
}

/** Every interface in a file (namespaces flattened as ns.Name), properties -> {kind, optional}. */
function interfaces(sf) {
  const out = {};
  const visit = (node, prefix) => {
    if (ts.isModuleDeclaration(node) && node.body) {
      const ns = prefix + node.name.text + ".";
      ts.forEachChild(node.body, (n) => visit(n, ns));
      return;
    }
    if (ts.isInterfaceDeclaration(node)) {
      const props = {};
      for (const m of node.members) {
        if (!ts.isPropertySignature(m) || !m.name) continue;
        props[m.name.text] = { kind: tsKind(m.type), optional: !!m.questionToken };
      }
      out[prefix + node.name.text] = props;
    }
    ts.forEachChild(node, (n) => visit(n, prefix));
  };
  visit(sf, "");
  return out;
}

/** A TypeScript type as a normalized kind: string, number, boolean, any, array<k>, map<k>, ref:Name. */
function tsKind(t) {
  if (!t) return "any";
  switch (t.kind) {
    case ts.SyntaxKind.StringKeyword:
      return "string";
    case ts.SyntaxKind.NumberKeyword:
      return "number";
    case ts.SyntaxKind.BooleanKeyword:
      return "boolean";
    case ts.SyntaxKind.AnyKeyword:
      return "any";
    case ts.SyntaxKind.ArrayType:
      return `array<${tsKind(t.elementType)}>`;
    case ts.SyntaxKind.ParenthesizedType:
      return tsKind(t.type);
    case ts.SyntaxKind.UnionType: {
      const kinds = [...new Set(t.types.filter((x) => x.kind !== ts.SyntaxKind.UndefinedKeyword).map(tsKind))];
      return kinds.includes("string") ? "string" : kinds.join("|"); // string | enums.X
    }
    case ts.SyntaxKind.TypeLiteral: {
      const idx = t.members.find((m) => ts.isIndexSignatureDeclaration(m));
      return idx ? `map<${tsKind(idx.type)}>` : "object";
    }
    case ts.SyntaxKind.TypeReference: {
      const name = t.typeName.getText();
      if (name === "pulumi.Input" || name === "pulumi.Output") return tsKind(t.typeArguments?.[0]);
      if (name.startsWith("enums.")) return "string";
      if (name === "Promise") return tsKind(t.typeArguments?.[0]);
      return "ref:" + name.replace(/^(inputs|outputs)\./, "");
    }
    default:
      return t.getText();
  }
}

/** A schema property as the same normalized kind. */
function schemaKind(p) {
  if (!p) return "any";
  if (p.$ref) {
    if (p.$ref === "pulumi.json#/Any") return "any";
    const tok = decodeURIComponent(p.$ref.replace(/^#\/types\//, ""));
    return "ref:" + typeName(tok);
  }
  switch (p.type) {
    case "integer":
    case "number":
      return "number";
    case "array":
      return `array<${schemaKind(p.items)}>`;
    case "object":
      return p.additionalProperties ? `map<${schemaKind(p.additionalProperties)}>` : "object";
    default:
      return p.type ?? "any";
  }
}

/** docker:index/ContainerHealthcheck:ContainerHealthcheck -> ContainerHealthcheck; docker:config/registryAuth:registryAuth -> config.RegistryAuth. */
function typeName(tok) {
  const [, mod, name] = /^[^:]+:([^/]+)\/[^:]+:(.+)$/.exec(tok) ?? [];
  if (!name) return tok;
  const upper = name[0].toUpperCase() + name.slice(1); // getNetworkIpamConfig -> GetNetworkIpamConfig
  return mod === "index" ? upper : `${mod}.${upper}`;
}

/** Lines for one object: SDK properties (sdk) against schema properties (props, required list). */
function compare(label, sdk, props, required, lines) {
  const req = new Set(required ?? []);
  for (const [name, s] of Object.entries(sdk)) {
    const p = props?.[name];
    if (!p) {
      lines.push(`${label} ${name}: only in the SDK`);
      continue;
    }
    const k = schemaKind(p);
    if (k !== s.kind && s.kind !== "any") lines.push(`${label} ${name}: type ${k} (SDK: ${s.kind})`);
    if (req.has(name) && s.optional) lines.push(`${label} ${name}: required by the provider (optional in the SDK)`);
    if (!req.has(name) && !s.optional) lines.push(`${label} ${name}: optional in the provider (required in the SDK)`);
  }
  for (const name of Object.keys(props ?? {})) {
    if (!(name in sdk)) lines.push(`${label} ${name}: only in the provider`);
  }
}

function main() {
  const args = process.argv.slice(2);
  const asJson = args[0] === "--json" && args.shift();
  const schema = JSON.parse(
    args[0] ? fs.readFileSync(args[0], "utf8") : execFileSync("pulumi-resource-docker", ["schema"], { encoding: "utf8", maxBuffer: 256 << 20 }),
  );
  const sdk = readSdk(args[1] ?? path.join(repo, "node_modules", "@pulumi", "docker"));
  const lines = [];

  for (const tok of Object.keys(sdk.resources).sort()) {
    const r = schema.resources?.[tok];
    if (!r) {
      lines.push(`${tok}: resource only in the SDK`);
      continue;
    }
    compare(`${tok} input`, sdk.resources[tok].inputs, r.inputProperties, r.requiredInputs, lines);
    compare(`${tok} state`, sdk.resources[tok].state, r.stateInputs?.properties, [], lines);
  }
  for (const tok of Object.keys(schema.resources ?? {}).sort()) if (!sdk.resources[tok]) lines.push(`${tok}: resource only in the provider`);

  for (const tok of Object.keys(sdk.functions).sort()) {
    const f = schema.functions?.[tok];
    if (!f) {
      lines.push(`${tok}: function only in the SDK`);
      continue;
    }
    compare(`${tok} input`, sdk.functions[tok].inputs, f.inputs?.properties, f.inputs?.required, lines);
    compare(`${tok} output`, sdk.functions[tok].outputs, f.outputs?.properties, f.outputs?.required, lines);
  }
  for (const tok of Object.keys(schema.functions ?? {}).sort()) {
    if (!sdk.functions[tok] && !tok.startsWith("pulumi:providers:")) lines.push(`${tok}: function only in the provider`);
  }

  // Object types: the SDK's input and output interfaces by name against the schema's types. Only
  // types reachable from the SDK are compared (an "only in the provider" type is a new nested block,
  // already reported at its parent property).
  const schemaTypes = Object.fromEntries(Object.entries(schema.types ?? {}).map(([tok, t]) => [typeName(tok), { tok, t }]));
  for (const dir of ["input", "output"]) {
    for (const [name, props] of Object.entries(sdk.types[dir]).sort(([a], [b]) => a.localeCompare(b))) {
      const st = schemaTypes[name];
      if (!st) {
        lines.push(`${name} (${dir} type): only in the SDK`);
        continue;
      }
      // Requiredness of nested inputs is the provider's `required`; outputs are reported per input only.
      compare(`${st.tok}${dir === "output" ? " (output)" : ""}`, props, st.t.properties, dir === "input" ? st.t.required : undefined, dir === "input" ? lines : []);
    }
  }
  compare("provider input", sdk.provider, schema.provider?.inputProperties, schema.provider?.requiredInputs, lines);

  const unique = [...new Set(lines)].sort();
  if (asJson) process.stdout.write(JSON.stringify(unique, null, 2) + "\n");
  else process.stdout.write(unique.join("\n") + (unique.length ? "\n" : ""));
}

main();
