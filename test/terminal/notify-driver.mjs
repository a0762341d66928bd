// The program under a real pty for test/terminal/notify.test.ts: sends one notification on stderr
// with the mode and text it is given, then says on stdout what notify() reported writing.
// env: NOTIFY_MODE (auto|osc9|osc777|bell|off), NOTIFY_TEXT.
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const { notify } = await import(path.resolve(here, "../../dist/terminal/notify.js"));
const wrote = notify(process.stderr, process.env.NOTIFY_TEXT ?? "", { notify: process.env.NOTIFY_MODE ?? "auto" }, process.env);
process.stdout.write(`\nNOTIFY-DRIVER-DONE ${JSON.stringify(wrote)}\n`);
