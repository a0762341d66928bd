// Nothing we write in the home is written through a symlink planted in its place: the `.active`
// marker, a background job's `.out`, the record (replaced by rename, the link itself goes) and a
// control request — each refusal names the file, and the link's target is never touched.
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileAccessError } from "../../lib/fs/errors.js";
import { pendingControl, requestControl } from "../../lib/jobs/control.js";
import { spawnDetachedSupervisor } from "../../lib/jobs/detach.js";
import { createJob, readJob, updateJob } from "../../lib/jobs/records.js";
import { jobActiveMarker, jobControlFile, jobOutFile, jobRecordFile } from "../../lib/paths.js";
import { refOf, tempHome } from "./helpers.js";

let home: string;
let outside: string;
beforeEach(() => {
  home = tempHome();
  outside = `${home}-outside`;
  fs.mkdirSync(outside, { mode: 0o700 });
});
afterEach(() => {
  fs.rmSync(home, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

describe("no symlink in the home is followed by a write", () => {
  it("a .active marker planted as a link: createJob refuses naming the marker; the target is not created", () => {
    const id = "j-20250109-000000e1";
    fs.mkdirSync(path.join(home, "jobs", ".active"), { recursive: true, mode: 0o700 });
    const target = path.join(outside, "created-through-the-link");
    fs.symlinkSync(target, jobActiveMarker(home, id));
    expect(() => createJob(home, { id, kind: "job", supervisor: refOf(), cwd: "/w", argv: ["exec", "x"] })).toThrow(new FileAccessError(jobActiveMarker(home, id), "create", Object.assign(new Error(), { code: "ELOOP" })).message);
    expect(fs.existsSync(target)).toBe(false);
  });

  it("a background job's .out planted as a link: the launch fails naming it; nothing is appended to the target", async () => {
    const id = "j-20250109-000000e2";
    fs.mkdirSync(path.join(home, "jobs"), { mode: 0o700 });
    const target = path.join(outside, "victim");
    fs.writeFileSync(target, "ORIGINAL");
    fs.symlinkSync(target, jobOutFile(home, id));
    await expect(spawnDetachedSupervisor({ jobId: id, outFile: jobOutFile(home, id), cwd: home, env: {}, binFile: "/bin/true" })).rejects.toThrow(`cannot open ${jobOutFile(home, id)}: it is a symbolic link (not followed) (ELOOP)`);
    expect(fs.readFileSync(target, "utf8")).toBe("ORIGINAL");
  });

  it("a record replaced by a link is neither read nor written; a control file replaced by one is not read, and a request replaces the link itself", () => {
    const id = "j-20250109-000000e3";
    createJob(home, { id, kind: "job", supervisor: refOf(), cwd: "/w", argv: ["exec", "x"] });
    const target = path.join(outside, "victim.json");
    fs.writeFileSync(target, "ORIGINAL");
    fs.rmSync(jobRecordFile(home, id));
    fs.symlinkSync(target, jobRecordFile(home, id));
    expect(() => readJob(home, id)).toThrow(/it is a symbolic link \(not followed\)/);
    expect(() => updateJob(home, id, { status: "running" })).toThrow(/it is a symbolic link \(not followed\)/); // read first: never written
    expect(fs.readFileSync(target, "utf8")).toBe("ORIGINAL");

    fs.symlinkSync(target, jobControlFile(home, id));
    expect(pendingControl(home, id)).toBeNull(); // not read through the link
    requestControl(home, id, "stop");
    expect(fs.lstatSync(jobControlFile(home, id)).isSymbolicLink()).toBe(false);
    expect(fs.readFileSync(target, "utf8")).toBe("ORIGINAL");
  });
});
