import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { doctorExitStatus, renderFindings } from "../../lib/doctor/finding.js";
import { judgePathOrder, scanPathForCodex, type CodexOnPath } from "../../lib/doctor/path-order.js";

const at = (index: number, dir: string, isShim: boolean): CodexOnPath => ({ index, dir, file: `${dir}/codex`, isShim });

describe("judgePathOrder", () => {
  it("ok when the first codex is the shim", () => {
    const [f] = judgePathOrder([at(0, "/pkg/shim", true), at(3, "/usr/bin", false)], "/pkg/shim");
    expect(f).toMatchObject({ check: "path", level: "ok" });
  });
  it("fails when a real codex comes first, naming both positions and the fix", () => {
    const [f] = judgePathOrder([at(0, "/usr/bin", false), at(2, "/pkg/shim", true)], "/pkg/shim");
    expect(f!.level).toBe("fail");
    expect(f!.message).toContain("/usr/bin/codex (PATH entry 1)");
    expect(f!.message).toContain("PATH entry 3");
    expect(f!.fix).toContain("codex-supervisor shellenv");
  });
  it("fails when the shim dir is not on PATH", () => {
    const [f] = judgePathOrder([at(0, "/usr/bin", false)], "/pkg/shim");
    expect(f!.level).toBe("fail");
    expect(f!.message).toContain("/pkg/shim is not on PATH");
  });
  it("fails when there is no codex at all", () => {
    expect(judgePathOrder([], "/pkg/shim")[0]!.level).toBe("fail");
  });
});

describe("renderFindings / exit status", () => {
  it("one line per finding with the fix; warnings do not fail", () => {
    const text = renderFindings([
      { check: "lock", level: "warn", message: "stale", fix: "wait" },
      { check: "path", level: "ok", message: "fine" },
    ]);
    expect(text).toBe("WARN lock: stale — fix: wait\nok   path: fine\n");
    expect(doctorExitStatus([{ check: "lock", level: "warn", message: "x" }])).toBe(0);
    expect(doctorExitStatus([{ check: "path", level: "fail", message: "x" }])).toBe(1);
  });
});

describe("scanPathForCodex", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  it("finds executables in PATH order, recognises the shim by realpath and by its marker, skips non-executables", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "cxs-doctor-"));
    dirs.push(root);
    const mk = (name: string, body: string, mode = 0o755) => {
      const d = path.join(root, name);
      fs.mkdirSync(d);
      fs.writeFileSync(path.join(d, "codex"), body, { mode });
      return d;
    };
    const shimDir = mk("shim", "#!/usr/bin/env node\n// codex-supervisor:shim\n");
    const real = mk("real", "#!/bin/sh\nexec true\n");
    const noexec = mk("noexec", "#!/bin/sh\n", 0o644);
    const copy = mk("copy", "#!/usr/bin/env node\n// codex-supervisor:shim (a second copy)\n");
    const link = path.join(root, "link");
    fs.mkdirSync(link);
    fs.symlinkSync(path.join(shimDir, "codex"), path.join(link, "codex"));
    const found = scanPathForCodex([noexec, real, link, copy, shimDir].join(":"), path.join(shimDir, "codex"));
    expect(found.map((f) => [f.index, f.dir, f.isShim])).toEqual([
      [1, real, false],
      [2, link, true],
      [3, copy, true],
      [4, shimDir, true],
    ]);
  });
});
