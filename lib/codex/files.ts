// The file-system reads that finding and launching the real codex make, behind one small port so the
// shim can record which paths a decision depended on (present or absent) and later prove it still holds
// (lib/shim/launch-cache.ts, docs/architecture.md §5). Hot path: node builtins only.
import { closeSync, existsSync, openSync, readFileSync, readSync, realpathSync, statSync, type Stats } from "node:fs";

export interface Files {
  exists(file: string): boolean;
  /** stat (following links); undefined when it does not exist or cannot be read. */
  stat(file: string): Stats | undefined;
  /** realpath; throws like realpathSync. */
  realpath(file: string): string;
  /** Whole file as UTF-8; throws like readFileSync. */
  readText(file: string): string;
  /** Up to `bytes` bytes from the start; throws like openSync/readSync. */
  readHead(file: string, bytes: number): Buffer;
}

function head(file: string, bytes: number): Buffer {
  const buf = Buffer.alloc(bytes);
  const fd = openSync(file, "r");
  try {
    return buf.subarray(0, readSync(fd, buf, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}

export const plainFiles: Files = {
  exists: (file) => existsSync(file),
  stat: (file) => {
    try {
      return statSync(file);
    } catch {
      return undefined;
    }
  },
  realpath: (file) => realpathSync(file),
  readText: (file) => readFileSync(file, "utf8"),
  readHead: head,
};

const MISSING = new Set(["ENOENT", "ENOTDIR"]);

/**
 * Files that remembers every path looked at: "present" when the call saw it, "absent" when it was not
 * there. Any other outcome (EACCES, ELOOP...) makes the record unprovable (`provable` false).
 */
export class RecordingFiles implements Files {
  readonly paths = new Map<string, "present" | "absent">();
  provable = true;

  private note(file: string, present: boolean): void {
    // present wins: a path seen both ways within one decision changed under us.
    if (this.paths.get(file) === "present" && !present) this.provable = false;
    this.paths.set(file, present ? "present" : "absent");
  }

  private failed(file: string, err: unknown): void {
    if (MISSING.has((err as NodeJS.ErrnoException).code ?? "")) this.note(file, false);
    else this.provable = false;
  }

  exists(file: string): boolean {
    const yes = existsSync(file);
    this.note(file, yes);
    return yes;
  }

  stat(file: string): Stats | undefined {
    try {
      const st = statSync(file);
      this.note(file, true);
      return st;
    } catch (err) {
      this.failed(file, err);
      return undefined;
    }
  }

  private track<T>(file: string, read: () => T): T {
    try {
      const v = read();
      this.note(file, true);
      return v;
    } catch (err) {
      this.failed(file, err);
      throw err;
    }
  }

  realpath(file: string): string {
    return this.track(file, () => realpathSync(file));
  }

  readText(file: string): string {
    return this.track(file, () => readFileSync(file, "utf8"));
  }

  readHead(file: string, bytes: number): Buffer {
    return this.track(file, () => head(file, bytes));
  }
}
