// One contending process for test/lock/contention.test.ts (run with fork(): talks over IPC).
// argv: <home> <shared-dir> <acquisitions> <victim-index|-1> <staleMs> <updateMs> <maxHoldMs>
// Each acquisition: enter the critical section (create shared/inside with O_EXCL — an existing one from
// a live holder is an overlap), read counter, hold a little, assertHeld, write counter+1 atomically,
// leave. On the victim acquisition it announces "victim" inside the section and waits to be SIGKILLed,
// heartbeat still running, exactly like a holder that dies mid-write.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist");
const { withStorageLock } = await import(path.join(dist, "lock/storage-lock.js"));
const { writeFileAtomic } = await import(path.join(dist, "fs/atomic.js"));

const [home, shared, countArg, victimArg, staleArg, updateArg, holdArg] = process.argv.slice(2);
const count = Number(countArg);
const victim = Number(victimArg);
const opts = { staleMs: Number(staleArg), updateMs: Number(updateArg), timeoutMs: 120_000 };
const maxHold = Number(holdArg);
const inside = path.join(shared, "inside");
const counterFile = path.join(shared, "counter");
const send = (m) => new Promise((r) => process.send(m, r));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function enter() {
  for (;;) {
    try {
      fs.writeFileSync(inside, String(process.pid), { flag: "wx" });
      return;
    } catch (err) {
      if (err.code !== "EEXIST") throw err;
      const other = fs.readFileSync(inside, "utf8");
      // Left behind by a holder the test SIGKILLed (it records the kill before killing): not an overlap.
      if (other && fs.existsSync(path.join(shared, "killed", other))) {
        fs.unlinkSync(inside);
        continue;
      }
      fs.appendFileSync(path.join(shared, "overlaps"), `${process.pid} found ${other || "(empty)"} inside\n`);
      return;
    }
  }
}

for (let i = 0; i < count; i++) {
  await withStorageLock(
    home,
    async (guard) => {
      await send({ type: "acquired", pid: process.pid, at: Date.now() });
      enter();
      if (i === victim) {
        await send({ type: "victim", pid: process.pid });
        // Hold until killed. A ref'd timer keeps the process alive: an idle process would exit on its own
        // (unsettled await) and proper-lockfile's exit hook would release the lock, hiding the dead holder.
        setInterval(() => {}, 60_000);
        await new Promise(() => {});
      }
      const n = Number(fs.readFileSync(counterFile, "utf8"));
      await sleep(Math.random() * maxHold);
      guard.assertHeld();
      writeFileAtomic(counterFile, String(n + 1));
      fs.unlinkSync(inside);
    },
    opts,
  );
  await send({ type: "done", pid: process.pid });
}
process.disconnect();
