// proper-lockfile probes the file system's mtime precision on each acquisition by setting the fresh
// lock's mtime up to ~1 s into the future, so a holder that dies before its first heartbeat would be
// evicted up to 1 s late. We run that probe once per home on a scratch directory and hand the cached
// result to every acquisition. The library caches it on the fs object under a module-private Symbol
// (read through the prototype chain), so each acquisition's fs inherits from the object returned here.
// proper-lockfile stays outside the bundles for the same reason (docs/architecture.md §5).
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

interface MtimePrecisionModule {
  probe(file: string, fsLike: object, cb: (err: Error | null) => void): void;
}

function loadMtimePrecision(): MtimePrecisionModule | null {
  try {
    return createRequire(import.meta.url)("proper-lockfile/lib/mtime-precision.js") as MtimePrecisionModule;
  } catch {
    return null; // layout changed: fall back to proper-lockfile probing on each acquisition
  }
}

const precisionBases = new Map<string, object>();

/** An object carrying proper-lockfile's cached mtime precision for `home`. */
export async function precisionBase(home: string): Promise<object> {
  const known = precisionBases.get(home);
  if (known) return known;
  const base = { stat: fs.stat, utimes: fs.utimes };
  const mod = loadMtimePrecision();
  if (mod) {
    const scratch = path.join(home, `.mtime-probe-${process.pid}-${randomBytes(4).toString("hex")}`);
    fs.mkdirSync(scratch);
    try {
      await new Promise<void>((resolve, reject) => mod.probe(scratch, base, (err) => (err ? reject(err) : resolve())));
    } finally {
      fs.rmdirSync(scratch);
    }
  }
  precisionBases.set(home, base);
  return base;
}
