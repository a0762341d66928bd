import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  ensureDir,
  quarantineCorrupt,
  readJsonFile,
  writeFileAtomic,
} from "../../lib/fs/atomic.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "atomic-test-"));
});
afterEach(() => {
  vi.restoreAllMocks();
  fs.chmodSync(dir, 0o700);
  fs.rmSync(dir, { recursive: true, force: true });
});

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

describe("writeFileAtomic", () => {
  it("writes the content with the requested mode, even under a permissive umask", () => {
    const old = process.umask(0o000);
    try {
      const f = path.join(dir, "secret.json");
      writeFileAtomic(f, '{"token":"x"}', { mode: 0o600 });
      expect(fs.readFileSync(f, "utf8")).toBe('{"token":"x"}');
      expect(fs.statSync(f).mode & 0o777).toBe(0o600);
      writeFileAtomic(path.join(dir, "pub"), "p", { mode: 0o644 });
      expect(fs.statSync(path.join(dir, "pub")).mode & 0o777).toBe(0o644);
    } finally {
      process.umask(old);
    }
  });

  it("defaults to 0600 and replaces a wider existing file's mode", () => {
    const f = path.join(dir, "a.json");
    fs.writeFileSync(f, "old", { mode: 0o666 });
    fs.chmodSync(f, 0o666);
    writeFileAtomic(f, "new");
    expect(fs.readFileSync(f, "utf8")).toBe("new");
    expect(fs.statSync(f).mode & 0o777).toBe(0o600);
  });

  it("the temp file already has the final mode before any data is written", () => {
    const f = path.join(dir, "s.json");
    let seenMode = -1;
    // The first fsync is the temp file's, right after its data: read its mode there.
    const fsync = fs.fsyncSync;
    vi.spyOn(fs, "fsyncSync").mockImplementationOnce((fd) => {
      seenMode = fs.fstatSync(fd).mode & 0o777;
      fsync(fd);
    });
    const old = process.umask(0o000);
    try {
      writeFileAtomic(f, "secret", { mode: 0o600 });
    } finally {
      process.umask(old);
    }
    expect(seenMode).toBe(0o600);
  });

  it("a failure before the rename leaves the old file intact and no temp behind", () => {
    const f = path.join(dir, "state.json");
    writeFileAtomic(f, "old-content");
    vi.spyOn(fs, "renameSync").mockImplementationOnce(() => {
      throw new Error("simulated crash");
    });
    expect(() => writeFileAtomic(f, "new-content-that-must-not-appear")).toThrow("simulated crash");
    expect(fs.readFileSync(f, "utf8")).toBe("old-content");
    expect(fs.readdirSync(dir)).toEqual(["state.json"]);
  });

  it("a failure right after writing (fd still open) leaves no temp behind", () => {
    const f = path.join(dir, "state.json");
    vi.spyOn(fs, "fsyncSync").mockImplementationOnce(() => {
      throw new Error("disk full");
    });
    expect(() => writeFileAtomic(f, "x")).toThrow("disk full");
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it.skipIf(isRoot)("in a read-only directory: throws, target unchanged, no partial file", () => {
    const f = path.join(dir, "state.json");
    writeFileAtomic(f, "old");
    fs.chmodSync(dir, 0o500);
    expect(() => writeFileAtomic(f, "new")).toThrow(/EACCES/);
    fs.chmodSync(dir, 0o700);
    expect(fs.readFileSync(f, "utf8")).toBe("old");
    expect(fs.readdirSync(dir)).toEqual(["state.json"]);
  });

  it("rename onto a directory fails cleanly and removes the temp", () => {
    const target = path.join(dir, "isdir");
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, "keep"), "k");
    expect(() => writeFileAtomic(target, "x")).toThrow();
    expect(fs.readdirSync(dir)).toEqual(["isdir"]);
  });
});

describe("readJsonFile", () => {
  it("missing / ok / corrupt / empty", () => {
    const f = path.join(dir, "x.json");
    expect(readJsonFile(f)).toEqual({ kind: "missing" });
    fs.writeFileSync(f, '{"a":1}');
    expect(readJsonFile(f)).toEqual({ kind: "ok", value: { a: 1 }, raw: '{"a":1}' });
    fs.writeFileSync(f, '{"a":1');
    const c = readJsonFile(f);
    expect(c.kind).toBe("corrupt");
    if (c.kind === "corrupt") expect(c.error).toMatch(/JSON|Unexpected|Expected/);
    fs.writeFileSync(f, "  \n");
    expect(readJsonFile(f)).toMatchObject({ kind: "corrupt", error: "file is empty" });
  });

  it("I/O errors other than ENOENT are thrown, not reported as corrupt", () => {
    fs.mkdirSync(path.join(dir, "d.json"));
    expect(() => readJsonFile(path.join(dir, "d.json"))).toThrow(/EISDIR/);
  });
});

describe("quarantineCorrupt", () => {
  it("moves the file aside and never overwrites an existing quarantine", () => {
    const f = path.join(dir, "accounts.json");
    const now = new Date("2024-05-01T12:30:45.123Z");
    fs.writeFileSync(f, "{broken-1");
    const q1 = quarantineCorrupt(f, now);
    expect(q1).toBe(`${f}.corrupt-2024-05-01T12-30-45-123Z`);
    expect(fs.existsSync(f)).toBe(false);
    expect(fs.readFileSync(q1, "utf8")).toBe("{broken-1");

    fs.writeFileSync(f, "{broken-2");
    const q2 = quarantineCorrupt(f, now);
    expect(q2).not.toBe(q1);
    expect(fs.readFileSync(q1, "utf8")).toBe("{broken-1");
    expect(fs.readFileSync(q2, "utf8")).toBe("{broken-2");
  });

  it("throws on a missing file", () => {
    expect(() => quarantineCorrupt(path.join(dir, "nope.json"))).toThrow(/ENOENT/);
  });
});

describe("ensureDir", () => {
  it("creates with 0700 and tightens an existing wider directory", () => {
    const d = path.join(dir, "a", "home");
    ensureDir(d);
    expect(fs.statSync(d).mode & 0o777).toBe(0o700);
    fs.chmodSync(d, 0o755);
    ensureDir(d);
    expect(fs.statSync(d).mode & 0o777).toBe(0o700);
  });

  it("refuses a path that is a file", () => {
    const f = path.join(dir, "file");
    fs.writeFileSync(f, "");
    expect(() => ensureDir(f)).toThrow();
  });
});
