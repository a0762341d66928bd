// Preload for CLI children of the macOS simulation (node --import): the process reports itself as
// darwin, so lib/process/host.ts — the one place that picks the process-table port from the platform —
// picks the macOS port, which then runs the stand-in ps/sysctl/lsof found first on PATH. Nothing else
// of ours reads process.platform on the paths these children take (stop, reap, ls, status, restart,
// result); the shim's win32 checks stay false either way.
Object.defineProperty(process, "platform", { value: "darwin", enumerable: true, configurable: true });
