// Temp homes for accounts tests: <tmp>/home (ours) and <tmp>/codex (CODEX_HOME), removed after.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AccountsFile } from "../../lib/accounts/schema.js";

export interface Homes {
  root: string;
  home: string;
  codexHome: string;
  cleanup(): void;
}

export function makeHomes(): Homes {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "cs-accounts-"));
  const home = path.join(root, "home");
  const codexHome = path.join(root, "codex");
  fs.mkdirSync(codexHome, { mode: 0o700 });
  return { root, home, codexHome, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

export function writeStoreRaw(home: string, store: AccountsFile | string): void {
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(home, "accounts.json"), typeof store === "string" ? store : JSON.stringify(store, null, 2), { mode: 0o600 });
}

export const mode = (p: string) => fs.statSync(p).mode & 0o777;

/** Rewrite a file the way codex does: truncate in place, then write (same inode, no rename). */
export function rewriteInPlace(file: string, text: string): void {
  const fd = fs.openSync(file, "w");
  try {
    fs.writeSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}

/** Every file under `dir` (recursive) with its content, for leak greps. */
export function allFiles(dir: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push({ file: p, text: fs.readFileSync(p, "latin1") });
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}
