// Runs as the program of a private tmux pane (test/terminal/restore.test.ts): save the terminal, let a
// child mess it up and SIGKILL it, then — when the test says so — restore and report `stty -a`.
// argv[2]: work dir for the hand-shake files; argv[3]: "mess" (child messes up) or "clean" (it does not).
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const { saveTerminal, restoreTerminal } = await import(path.resolve(here, "../../dist/terminal/restore.js"));
const [work, mode] = process.argv.slice(2);
const f = (name) => path.join(work, name);
const sttyA = () => spawnSync("stty", ["-a"], { stdio: ["inherit", "pipe", "pipe"], encoding: "utf8" }).stdout;

async function waitFile(name, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!fs.existsSync(f(name))) {
    if (Date.now() > deadline) {
      fs.writeFileSync(f("error"), `timed out waiting for ${name}`);
      process.exit(4);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

const saved = saveTerminal();
fs.writeFileSync(f("saved.json"), JSON.stringify(saved));
const childArgs = mode === "mess" ? [path.join(here, "mess-up-terminal.mjs"), f("child-ready")] : ["-e", `require("fs").writeFileSync(${JSON.stringify(f("child-ready"))}, "ready"); setInterval(() => {}, 60000)`];
const child = spawn(process.execPath, childArgs, { stdio: "inherit" });
await waitFile("child-ready");
fs.writeFileSync(f("before.txt"), sttyA());
child.kill("SIGKILL");
await new Promise((r) => child.once("exit", r));
fs.writeFileSync(f("killed"), String(child.pid));
await waitFile("go");
const result = restoreTerminal(saved);
fs.writeFileSync(f("result.json"), JSON.stringify(result));
fs.writeFileSync(f("after.txt"), sttyA());
fs.writeFileSync(f("done"), "");
await waitFile("exit", 30_000);
