// The README is the user's manual: its config table and commands must match the code.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { describeConfig } from "../../lib/config/schema.js";
import { COMMANDS } from "../../lib/cli/main.js";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

describe("README", () => {
  it("documents every config field with its variable and default", () => {
    const table = readme.slice(readme.indexOf("<!-- config-table:start -->"), readme.indexOf("<!-- config-table:end -->"));
    for (const row of describeConfig()) {
      expect(table, row.field).toContain(`| \`${row.field}\` | \`${row.env}\` | \`${row.default}\` |`);
    }
    const rows = table.split("\n").filter((l) => l.startsWith("| `"));
    expect(rows.length).toBe(describeConfig().length);
  });

  it("lists every public command", () => {
    for (const [name, entry] of Object.entries(COMMANDS)) {
      if (entry.hidden) continue;
      expect(readme, name).toContain(`codex-supervisor ${name}`);
    }
  });

  it("keeps the two newcomer commands true", () => {
    expect(readme).toContain("\nnpm ci && npm run demo\n");
    expect(readme).toContain("\nnpm test\n");
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    // npm ci no longer builds (no `prepare`: npm warns about it at a global install), so both build first.
    expect(pkg.scripts.demo).toBe("node scripts/build.mjs && node bin/codex-supervisor demo");
    expect(pkg.scripts.test).toMatch(/^npm run build && vitest run/);
    expect(pkg.scripts.prepare).toBeUndefined();
    const ci = readFileSync(new URL("../../.ci/run", import.meta.url), "utf8");
    expect(ci).toMatch(/^npm test$/m);
  });
});
