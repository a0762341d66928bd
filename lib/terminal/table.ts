// Tables for people (pure): columns padded to their widest cell, fitted to the terminal's width by
// truncating the flexible columns (with "…"), never by wrapping a row. Widths count code points —
// our cells are ids, names, times and command lines; a wide CJK character counts as one.

export interface Column {
  header: string;
  /** May be cut to fit (the widest flexible column first); others keep their width. */
  flex?: boolean;
  /** Never cut below this many characters (default: the header's length). */
  min?: number;
  align?: "left" | "right";
}

const len = (s: string) => Array.from(s).length;

/** `s` cut to `width` code points, the last one an ellipsis when something was cut. */
export function truncate(s: string, width: number): string {
  const chars = Array.from(s);
  if (chars.length <= width) return s;
  if (width <= 0) return "";
  return chars.slice(0, width - 1).join("") + "…";
}

interface TableOptions {
  /** The terminal's width; null = no limit (output to a pipe or a file keeps whole cells). */
  width: number | null;
  /** Colour (or any decoration) of a cell after layout: gets the padded text, returns what to print. */
  decorate?: (row: number, col: number, padded: string) => string;
}

const GAP = 2;

/**
 * The column widths that fit `width`: the widest flexible column loses one character at a time down
 * to its minimum; if the fixed ones alone are still too wide, columns are cut from the right (0 =
 * dropped), so no line is ever longer than `width`.
 */
function fitWidths(columns: Column[], natural: number[], width: number | null): number[] {
  const w = natural.slice();
  if (width === null) return w;
  const total = () => w.reduce((sum, x) => sum + x, 0) + GAP * (w.filter((x) => x > 0).length - 1);
  while (total() > width) {
    let pick = -1;
    for (let i = 0; i < columns.length; i++) {
      const c = columns[i]!;
      if (c.flex && w[i]! > (c.min ?? len(c.header)) && (pick < 0 || w[i]! > w[pick]!)) pick = i;
    }
    if (pick < 0) break;
    w[pick]!--;
  }
  for (let i = w.length - 1; i > 0 && total() > width; i--) w[i] = Math.max(0, w[i]! - (total() - width));
  for (let i = w.length - 1; i > 0 && total() > width; i--) w[i] = 0;
  return w;
}

export function renderTable(columns: Column[], rows: string[][], opts: TableOptions): string {
  const all = [columns.map((c) => c.header), ...rows];
  const natural = columns.map((_, i) => Math.max(...all.map((r) => len(r[i] ?? ""))));
  const widths = fitWidths(columns, natural, opts.width);
  const shown = columns.map((_, i) => i).filter((i) => widths[i]! > 0 || i === 0);
  const lines = all.map((row, r) => {
    const cells = shown.map((i) => {
      const c = columns[i]!;
      const text = truncate(row[i] ?? "", widths[i]!);
      const last = i === shown[shown.length - 1];
      const pad = widths[i]! - len(text);
      const padded = c.align === "right" ? " ".repeat(pad) + text : last ? text : text + " ".repeat(pad);
      return opts.decorate && r > 0 ? opts.decorate(r - 1, i, padded) : padded;
    });
    return cells.join(" ".repeat(GAP)).trimEnd();
  });
  return lines.join("\n") + "\n";
}

/**
 * The width to fit a table to: the terminal's columns; else `COLUMNS` when set (a script asking for
 * a width); else none — a pipe or a file gets whole cells.
 */
export function outputWidth(stream: { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv): number | null {
  if (stream.isTTY && typeof stream.columns === "number" && stream.columns > 0) return stream.columns;
  const c = Number(env.COLUMNS);
  return Number.isInteger(c) && c > 0 ? c : null;
}
