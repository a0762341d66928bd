// The layer picture in docs/architecture.md is checked against the code: every relative import in
// lib/ must stay in its layer or go down, except the upward ones the picture names.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");
const doc = readFileSync(path.join(root, "docs/architecture.md"), "utf8");

function picture(): { layerOf: Map<string, number>; allowedUp: Set<string> } {
  const block = doc.slice(doc.indexOf("<!-- layers:start -->"), doc.indexOf("<!-- layers:end -->"));
  const layerOf = new Map<string, number>();
  const allowedUp = new Set<string>();
  for (const line of block.split("\n")) {
    const up = /^up (\S+) -> (\S+)$/.exec(line);
    if (up) allowedUp.add(`${up[1]} -> ${up[2]}`);
    const m = /^(\d+) {2}(.+)$/.exec(line);
    if (m) for (const unit of m[2]!.split(" ")) layerOf.set(unit, Number(m[1]));
  }
  return { layerOf, allowedUp };
}

function libFiles(dir = path.join(root, "lib")): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? libFiles(path.join(dir, d.name)) : d.name.endsWith(".ts") ? [path.join(dir, d.name)] : [],
  );
}

/** "supervisor/step.ts" → "supervisor"; "errors.ts" → "errors.ts". */
const unitOf = (rel: string) => (rel.includes("/") ? rel.split("/")[0]! : rel);

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1]!);
  return specs.map((s) => path.relative(path.join(root, "lib"), path.resolve(path.dirname(file), s)).replace(/\.js$/, ".ts"));
}

describe("module layers (docs/architecture.md)", () => {
  const { layerOf, allowedUp } = picture();

  it("names every folder and top-level file of lib/ once", () => {
    const units = readdirSync(path.join(root, "lib")).filter((n) => !n.endsWith(".d.ts"));
    expect([...layerOf.keys()].sort()).toEqual(units.sort());
  });

  it("no import runs up a layer unless the picture names it", () => {
    const upward: string[] = [];
    const unplaced: string[] = [];
    const usedUp = new Set<string>();
    for (const file of libFiles()) {
      const rel = path.relative(path.join(root, "lib"), file);
      for (const target of importsOf(file)) {
        const from = layerOf.get(unitOf(rel));
        const to = layerOf.get(unitOf(target));
        if (from === undefined || to === undefined) {
          unplaced.push(`${rel} -> ${target}`);
          continue;
        }
        if (to <= from) continue;
        const edge = `${rel} -> ${target}`;
        if (allowedUp.has(edge)) usedUp.add(edge);
        else upward.push(`${edge} (layer ${from} -> ${to})`);
      }
    }
    expect(unplaced, "imports whose file or target is in no layer").toEqual([]);
    expect(upward).toEqual([]);
    // A named exception that no longer exists is taken out of the picture too.
    expect([...usedUp].sort()).toEqual([...allowedUp].sort());
  });
});
