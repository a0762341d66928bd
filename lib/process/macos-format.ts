// *Pure*: the output formats of the macOS tools the macOS port runs, as Apple's sources print them
// (adv_cmds ps/print.c, ps/keyword.c; system_cmds sysctl/sysctl.c; lsof's "OUTPUT FOR OTHER
// PROGRAMS"), always under LC_ALL=C and TZ=UTC0 (macos.ts sets both).
//
// ps -o pid=,ppid=,ruid=,stat=,lstart=,ucomm=[,command=] prints, per process, columns separated by
// one space: pid, ppid and ruid right-aligned in 5 ("%*d"), stat left-aligned in 4, lstart as
// strftime("%c") — "Tue Nov 14 09:05:01 2023", 24 characters — left-aligned in 28, ucomm (p_comm,
// at most 16 characters, may hold spaces) left-aligned in 16, and the command last, unpadded. With -E
// the command is followed by the environment: every argv string then every environ string, joined
// by single spaces (getproclline), only for processes of our real uid unless we are root; a zombie
// shows "<defunct>", a process whose arguments cannot be read "(<ucomm>)". strvis(VIS_TAB | VIS_NL |
// VIS_NOSLASH) renders tab/newline as octal (\011), other control bytes as ^X and bytes ≥ 0x80 as
// M-x / M^X (no backslash), a byte 0xA0 as \240.

export interface PsRow {
  pid: number;
  ppid: number;
  ruid: number;
  /** First letter of stat: R, S, I, T, U, Z. */
  state: string;
  /** lstart in epoch seconds (printed in UTC, since TZ=UTC0). */
  startSec: number;
  ucomm: string;
  /** The command column (with -E: arguments then environment); "" when not asked for. */
  command: string;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const HEAD = /^ *(\d+) +(\d+) +(\d+) +(\S+) +((?:Sun|Mon|Tue|Wed|Thu|Fri|Sat) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([ \d]\d) (\d\d):(\d\d):(\d\d) (\d{4}))/;
/** lstart's field is 28 wide; its text is 24: 4 spaces of padding + 1 separator before ucomm. */
const LSTART_PAD = 5;
const UCOMM_WIDTH = 16;

/** One line of the ps output above, or null when it does not have that shape. */
export function parsePsRow(line: string): PsRow | null {
  const m = HEAD.exec(line);
  if (!m) return null;
  const end = m.index + m[0].length;
  if (line.slice(end, end + LSTART_PAD) !== " ".repeat(LSTART_PAD)) return null;
  const startMs = Date.UTC(Number(m[11]), MONTHS.indexOf(m[6]!), Number(m[7]!.trim()), Number(m[8]), Number(m[9]), Number(m[10]));
  if (!Number.isFinite(startMs)) return null;
  const ucommAt = end + LSTART_PAD;
  return {
    pid: Number(m[1]),
    ppid: Number(m[2]),
    ruid: Number(m[3]),
    state: m[4]!.charAt(0),
    startSec: startMs / 1000,
    ucomm: line.slice(ucommAt, ucommAt + UCOMM_WIDTH).trimEnd(),
    command: line.slice(ucommAt + UCOMM_WIDTH + 1),
  };
}

/** The start of an environment entry after a space: a variable name and "=". */
const NEXT_ENTRY = / [A-Za-z_][A-Za-z0-9_]*=/g;

/**
 * Did ps print this process's environment after its command? Only for processes of our real uid (or
 * when we are root), never for a zombie or a process whose arguments it could not read — and not for
 * a code-signing restricted one (Apple's own executables with SIP on: the kernel returns its
 * arguments only). Nothing tells the last case apart in the output except that no `NAME=` entry
 * follows; every real environment has some, so a command without one counts as unreadable.
 */
export function psShowsEnvironment(row: PsRow, viewerUid: number): boolean {
  if (viewerUid !== 0 && row.ruid !== viewerUid) return false;
  if (row.state === "Z" || row.command === "<defunct>" || row.command === `(${row.ucomm})`) return false;
  NEXT_ENTRY.lastIndex = 0;
  return NEXT_ENTRY.test(row.command);
}

/**
 * The values of `keys` in a `ps -E` command column (see the header). The environment follows the
 * arguments, so the LAST ` KEY=` wins; a value runs to the next ` NAME=` or the end of the line, so
 * `CODEX_SUPERVISOR_JOB=<id>` inside an argument followed by more arguments reads as "<id> more…"
 * and matches no marker. What this cannot tell apart: an exact `KEY=value` that is the last argument
 * (the environment starts right after it), or a value that itself contains " NAME=" (cut there).
 */
export function envFromPsCommand(command: string, keys: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const key of keys) {
    const at = command.lastIndexOf(` ${key}=`);
    if (at < 0) continue;
    const from = at + key.length + 2;
    NEXT_ENTRY.lastIndex = from;
    const next = NEXT_ENTRY.exec(command);
    out.set(key, unvis(command.slice(from, next ? next.index : command.length)));
  }
  return out;
}

/** Undo strvis(VIS_TAB | VIS_NL | VIS_NOSLASH) as ps applies it (see the header), then read the bytes as UTF-8. */
function unvis(text: string): string {
  if (!/[\\^M]/.test(text)) return text;
  const bytes: number[] = [];
  const ctl = (c: string) => (c === "?" ? 0x7f : c.charCodeAt(0) - 0x40);
  const isCtlChar = (c: string | undefined) => c !== undefined && (c === "?" || (c >= "@" && c <= "_"));
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\" && /^[0-3][0-7][0-7]$/.test(text.slice(i + 1, i + 4))) {
      bytes.push(parseInt(text.slice(i + 1, i + 4), 8));
      i += 3;
    } else if (c === "M" && text[i + 1] === "-" && i + 2 < text.length) {
      bytes.push(0x80 | text.charCodeAt(i + 2));
      i += 2;
    } else if (c === "M" && text[i + 1] === "^" && isCtlChar(text[i + 2])) {
      bytes.push(0x80 | ctl(text[i + 2]!));
      i += 2;
    } else if (c === "^" && isCtlChar(text[i + 1])) {
      bytes.push(ctl(text[i + 1]!));
      i += 1;
    } else {
      bytes.push(...Buffer.from(c, "utf8"));
    }
  }
  // A literal "M-x" in the text decodes to a stray byte: not UTF-8, so the text was not escaped.
  const decoded = Buffer.from(bytes).toString("utf8");
  return decoded.includes("\uFFFD") && !text.includes("\uFFFD") ? text : decoded;
}

/** `sysctl -n kern.boottime`: "{ sec = 1745966643, usec = 839385 } Wed Apr 30 01:44:03 2025" → the seconds. */
export function parseBoottime(text: string): number | null {
  const m = /\{\s*sec\s*=\s*(\d+)\s*,/.exec(text);
  const sec = m ? Number(m[1]) : NaN;
  return Number.isSafeInteger(sec) && sec > 0 ? sec : null;
}

interface LsofFile {
  pid: number;
  fd: number;
  /** r, w, u (read and write), or " " when unknown. */
  access: string;
  path: string;
}

/**
 * `lsof -F pfan` output: a `p<pid>` line starts a process, `f<fd>` a file, `a<mode>` and `n<name>`
 * describe it. Only numeric descriptors (not cwd, txt, mem…). Names are unescaped (lsof prints `\\`,
 * `\xNN`, `\n`… for bytes it will not print as they are under LC_ALL=C).
 */
export function parseLsofFields(text: string): LsofFile[] {
  const out: LsofFile[] = [];
  let pid = -1;
  let cur: LsofFile | null = null;
  const flush = () => {
    if (cur && cur.path !== "") out.push(cur);
    cur = null;
  };
  for (const line of text.split("\n")) {
    const tag = line.charAt(0);
    const value = line.slice(1);
    if (tag === "p") {
      flush();
      pid = Number(value);
    } else if (tag === "f") {
      flush();
      if (/^\d+$/.test(value) && pid > 0) cur = { pid, fd: Number(value), access: " ", path: "" };
    } else if (cur && tag === "a") {
      cur.access = value;
    } else if (cur && tag === "n") {
      cur.path = unescapeLsof(value);
    }
  }
  flush();
  return out;
}

const LSOF_ESCAPES: Record<string, number> = { b: 8, f: 12, n: 10, r: 13, t: 9, "\\": 0x5c };

function unescapeLsof(text: string): string {
  if (!text.includes("\\")) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === "\\" && next === "x" && /^[0-9a-f]{2}$/i.test(text.slice(i + 2, i + 4))) {
      bytes.push(parseInt(text.slice(i + 2, i + 4), 16));
      i += 3;
    } else if (c === "\\" && next !== undefined && next in LSOF_ESCAPES) {
      bytes.push(LSOF_ESCAPES[next]!);
      i += 1;
    } else {
      bytes.push(...Buffer.from(c, "utf8"));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}
