// Removal that tolerates "already gone": the one place an ENOENT on unlink is not an error.
import fs from "node:fs";

/** Remove `file`; true if it was there, false if it was already gone. Other errors are thrown. */
export function unlinkIfPresent(file: string): boolean {
  try {
    fs.unlinkSync(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}
