// The pure text helpers of our output: one time style, tables fitted to a width, the colour rule.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatDuration, formatDurationCompact, formatRelative, humaniseText } from "../../lib/terminal/duration.js";
import { colourEnabled, painter } from "../../lib/terminal/style.js";
import { outputWidth, renderTable, truncate, type Column } from "../../lib/terminal/table.js";

describe("durations and relative times", () => {
  it("at most two units, rounded down", () => {
    const table: [number, string][] = [
      [0, "0s"], [999, "0s"], [45_000, "45s"], [60_000, "1m"], [90_000, "1m 30s"], [599_000, "9m 59s"], [600_000, "10m"],
      [3_599_000, "59m"], [3_600_000, "1h 00m"], [3_900_000, "1h 05m"], [86_399_000, "23h 59m"], [86_400_000, "1d"], [90_000_000, "1d 1h"], [-5, "0s"], [NaN, "0s"],
    ];
    for (const [ms, want] of table) expect(formatDuration(ms), String(ms)).toBe(want);
    expect(formatDurationCompact(3_900_000)).toBe("1h05m");
  });
  it("relative to now; within a second is now; an unparsable time is returned as given", () => {
    const now = Date.parse("2026-05-01T12:00:00Z");
    expect(formatRelative("2026-05-01T11:57:00Z", now)).toBe("3m ago");
    expect(formatRelative(now + 65 * 60_000, now)).toBe("in 1h 05m");
    expect(formatRelative(now + 400, now)).toBe("now");
    expect(formatRelative("soon", now)).toBe("soon");
  });
  it("milliseconds in machine text become words", () => {
    expect(humaniseText("crash restart cap reached (5 in 600000 ms)")).toBe("crash restart cap reached (5 in 10m)");
    expect(humaniseText("no ms here, 12 items")).toBe("no ms here, 12 items");
  });
});

describe("tables", () => {
  const cols: Column[] = [{ header: "ID" }, { header: "NAME", flex: true, min: 4 }, { header: "N", align: "right" }, { header: "NOTE", flex: true, min: 4 }];
  it("pads to the widest cell, right-aligns, no trailing spaces", () => {
    expect(renderTable(cols, [["a", "bob", "7", "x"], ["bb", "al", "10", ""]], { width: null })).toBe("ID  NAME   N  NOTE\na   bob    7  x\nbb  al    10\n");
  });
  it("never longer than the width, whatever the cells (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.string({ maxLength: 60 }), { minLength: 4, maxLength: 4 }), { maxLength: 6 }), fc.integer({ min: 20, max: 120 }), (rows, width) => {
        const clean = rows.map((r) => r.map((c) => c.replace(/[\n\r\t]/g, " ")));
        for (const line of renderTable(cols, clean, { width }).split("\n")) expect(Array.from(line).length).toBeLessThanOrEqual(width);
      }),
    );
  });
  it("cuts the widest flexible column first, with an ellipsis; keeps fixed ones whole", () => {
    const out = renderTable(cols, [["id-1", "a-very-long-name-indeed", "3", "short"]], { width: 30 });
    expect(out).toBe("ID    NAME            N  NOTE\nid-1  a-very-long-n…  3  short\n");
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("ab", 4)).toBe("ab");
  });
  it("the width: a terminal's columns, else COLUMNS, else none", () => {
    expect(outputWidth({ isTTY: true, columns: 100 }, { COLUMNS: "80" })).toBe(100);
    expect(outputWidth({ isTTY: false }, { COLUMNS: "80" })).toBe(80);
    expect(outputWidth({}, { COLUMNS: "x" })).toBeNull();
    expect(outputWidth({}, {})).toBeNull();
  });
});

describe("colour", () => {
  it("a terminal gets colour unless NO_COLOR or TERM=dumb; FORCE_COLOR decides first", () => {
    const tty = { isTTY: true };
    const pipe = { isTTY: false };
    expect(colourEnabled(tty, {})).toBe(true);
    expect(colourEnabled(pipe, {})).toBe(false);
    expect(colourEnabled(tty, { NO_COLOR: "1" })).toBe(false);
    expect(colourEnabled(tty, { NO_COLOR: "" })).toBe(true); // set but empty does not count (no-color.org)
    expect(colourEnabled(tty, { TERM: "dumb" })).toBe(false);
    expect(colourEnabled(pipe, { FORCE_COLOR: "1" })).toBe(true);
    expect(colourEnabled(pipe, { FORCE_COLOR: "" })).toBe(true);
    expect(colourEnabled(tty, { FORCE_COLOR: "0" })).toBe(false);
    expect(colourEnabled(tty, { FORCE_COLOR: "false", NO_COLOR: "" })).toBe(false);
  });
  it("the painter is the identity when off", () => {
    expect(painter(false)("red", "x")).toBe("x");
    expect(painter(true)("red", "x")).toBe("\u001b[31mx\u001b[39m");
    expect(painter(true)("red", "")).toBe("");
  });
});
