// Runs the login watcher (from the compiled dist/) as its own process, beside a real codex, so the
// fault test can SIGKILL it at a chosen moment. Prints one JSON line per login it handled (no token:
// kind, account, fingerprint, what the sync did). Usage: node login-watch-driver.mjs <home> <codexHome>
import { watchLogin } from "../../dist/accounts/login-watch.js";

const [home, codexHome] = process.argv.slice(2);
const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const w = watchLogin({ home, codexHome, onError: (e) => say({ error: String(e) }) }, (l) =>
  say({ kind: l.kind, account: l.account, fingerprint: l.fingerprint, sync: l.sync.status }),
);
// The watcher's own handles do not keep a process alive; this driver has nothing else to do.
const keepAlive = setInterval(() => {}, 60_000);
process.on("SIGTERM", () => {
  w.close();
  clearInterval(keepAlive);
});
