// Property tests for routing (parseCodexArgv) and the resume argv built from it.
//
// Two kinds of inputs:
// - arbitrary argvs (any strings: empty, dashes, `=`, unicode incl. lone surrogates, `--`, option and
//   subcommand words in random places) — nothing may throw, and whatever is classified interactive
//   must produce a resume argv that is itself interactive and a fixed point;
// - argvs constructed from the grammar where we know which tokens are options, which is the PROMPT
//   and which are images — the option tokens must come back exactly and in order, the PROMPT and the
//   images never.
// Bounded: PROPERTY_RUNS (default 300) per property keeps the file to a few seconds on a loaded box.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCodexArgv } from "../../lib/codex/classify.js";
import { ROOT_OPTIONS, SESSION_SUBCOMMAND_OPTIONS, SUBCOMMANDS, type OptionSpec } from "../../lib/codex/grammar.js";
import type { ParsedArgv } from "../../lib/codex/argv-types.js";
import { buildExecResumeArgv, buildResumeArgv, EXEC_OPTIONS, needsNoDaemon, withNoDaemon } from "../../lib/session/resume-argv.js";

const RUNS = Number(process.env.PROPERTY_RUNS ?? 300);
const ID = "01a1faff-286d-7cb3-b5d6-fad968b9095a";
const SUBCOMMAND_WORDS = SUBCOMMANDS.flatMap((s) => [s.name, ...s.aliases]);
const looksLikeOption = (t: string) => t.length > 1 && t.startsWith("-");

// ---- arbitrary argvs ----

const optionWords = [...ROOT_OPTIONS, ...SESSION_SUBCOMMAND_OPTIONS.resume].flatMap((s) => [`--${s.long}`, ...(s.short ? [`-${s.short}`] : [])]);
const anyText = fc.oneof(fc.string({ unit: "binary", maxLength: 12 }), fc.string({ unit: "grapheme", maxLength: 8 }), fc.string({ maxLength: 8 }));
const anyToken: fc.Arbitrary<string> = fc.oneof(
  anyText,
  fc.constantFrom("", "-", "--", "---", "=", "-=", "--=", "-h", "--help", "-V", "--version", "--no-daemon", "--remote", "--last", "-i", "--image"),
  fc.constantFrom(...optionWords),
  fc.constantFrom(...SUBCOMMAND_WORDS),
  fc.tuple(fc.constantFrom(...optionWords), anyText).map(([o, v]) => `${o}=${v}`),
  fc.tuple(fc.constantFrom(...optionWords.filter((o) => !o.startsWith("--"))), anyText).map(([o, v]) => `${o}${v}`),
);
// Half of the argvs go through resume/fork, which a flat random token list would rarely reach.
const anyArgv = fc.oneof(
  fc.array(anyToken, { maxLength: 12 }),
  fc.tuple(fc.array(anyToken, { maxLength: 4 }), fc.constantFrom("resume", "fork"), fc.array(anyToken, { maxLength: 8 })).map(([a, s, b]) => [...a, s, ...b]),
);

function flatTokens(p: ParsedArgv): string[] {
  return p.rootOptions.flatMap((o) => o.tokens);
}

describe("parseCodexArgv / resume argv on arbitrary argvs", () => {
  it("never throw, never mutate the input, and keep argv verbatim", () => {
    fc.assert(
      fc.property(anyArgv, fc.string({ unit: "binary", maxLength: 40 }), (argv, id) => {
        const copy = argv.slice();
        const p = parseCodexArgv(argv);
        expect(argv).toEqual(copy);
        expect(p.argv).toEqual(copy);
        expect(["interactive", "interactive-subcommand", "passthrough"]).toContain(p.kind);
        // Builders are total even on passthrough parses (the supervisor never calls them there, but a bug must not crash).
        withNoDaemon(p);
        needsNoDaemon(p);
        buildResumeArgv(p, id);
        buildResumeArgv(p, id, { sessionCwd: "/wt" });
        buildExecResumeArgv(p, id, "continue");
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it("interactive argvs: the resume argv is interactive `resume <id>`, keeps every root option's tokens in order, carries no PROMPT/images, and is a fixed point", () => {
    fc.assert(
      fc.property(anyArgv, fc.constantFrom(ID, "-weird-id", "exec", "名前"), (argv, id) => {
        const p = parseCodexArgv(argv);
        fc.pre(p.kind !== "passthrough");
        const resume = buildResumeArgv(p, id);
        const q = parseCodexArgv(resume);
        expect(q.kind, `${JSON.stringify(resume)}: ${q.reason}`).toBe("interactive-subcommand");
        expect(q.subcommand).toBe("resume");
        expect(q.session?.sessionId).toBe(id);
        expect(q.session?.prompt).toBeNull();
        expect(q.prompt).toBeNull();
        expect(q.images).toEqual([]);
        expect(q.session?.images).toEqual([]);
        expect(q.session?.last).toBe(false);
        // Root options: exactly the user's tokens, in order, with --no-daemon prepended when needed.
        const lead = needsNoDaemon(p) ? ["--no-daemon"] : [];
        expect(flatTokens(q)).toEqual([...lead, ...flatTokens(p)]);
        // Resuming the resume gives the same argv (a restart of a restart does not drift).
        expect(buildResumeArgv(q, id)).toEqual(resume);
        // --no-daemon appears at most as often as the user gave it, and at least once unless --remote.
        // (Counted over root and resume/fork options: `resume --no-daemon` is the user's own too.)
        const all = (x: ParsedArgv) => [...x.rootOptions, ...(x.session?.options ?? [])];
        const count = (x: ParsedArgv) => all(x).filter((o) => o.name === "no-daemon").length;
        const remote = all(p).some((o) => o.name === "remote");
        expect(count(q)).toBe(remote ? count(p) : Math.max(1, count(p)));
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it("withNoDaemon is idempotent and does not change the classification", () => {
    fc.assert(
      fc.property(anyArgv, (argv) => {
        const p = parseCodexArgv(argv);
        const once = withNoDaemon(p);
        const p2 = parseCodexArgv(once);
        expect(withNoDaemon(p2)).toEqual(once);
        expect(p2.kind).toBe(p.kind);
        expect(p2.prompt).toBe(p.prompt);
        expect(p2.images).toEqual(p.images);
        expect(p2.subcommand).toBe(p.subcommand);
        if (p.kind === "passthrough") expect(once).toEqual(argv);
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it("appending `--` + a subcommand-looking PROMPT to a prompt-less interactive argv keeps it interactive with that prompt", () => {
    fc.assert(
      fc.property(anyArgv, fc.oneof(fc.constantFrom(...SUBCOMMAND_WORDS, "--help", "-V", "resume --last"), anyText), (argv, text) => {
        const p = parseCodexArgv(argv);
        fc.pre(p.kind === "interactive" && p.prompt === null && !p.sawDoubleDash);
        const q = parseCodexArgv([...argv, "--", text]);
        expect(q.kind, q.reason).toBe("interactive");
        expect(q.prompt).toBe(text);
        expect(q.subcommand).toBeNull();
        expect(q.rootOptions).toEqual(p.rootOptions);
        expect(q.images).toEqual(p.images);
        expect(buildResumeArgv(q, ID)).toEqual(buildResumeArgv(p, ID));
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it("a subcommand's classification does not depend on what follows it", () => {
    fc.assert(
      fc.property(anyArgv, anyArgv, (argv, tail) => {
        const p = parseCodexArgv(argv);
        fc.pre(p.kind === "passthrough" && p.reason.startsWith("subcommand:"));
        const q = parseCodexArgv([...argv, ...tail]);
        expect(q.kind).toBe("passthrough");
        expect(q.reason).toBe(p.reason);
        expect(q.subcommandToken).toBe(p.subcommandToken);
      }),
      { numRuns: RUNS },
    );
  });
});

// ---- constructed argvs: we know the options, the PROMPT and the images ----

/** A value a separate-form option can take (clap rejects one that starts with `-`, except a lone `-`). */
const separateValue = fc.oneof(anyText, fc.constantFrom("-", "exec", "resume", "a=b", "k=\"x y\"", "")).filter((v) => !looksLikeOption(v) && !v.includes("PROMPT") && !v.includes("IMG"));
const attachedValue = fc.oneof(anyText, fc.constantFrom("-x", "--y", "=", "a=b", "")).filter((v) => !v.includes("PROMPT") && !v.includes("IMG"));

/** One occurrence of `spec` in one of the spellings clap accepts. */
function occurrence(spec: OptionSpec): fc.Arbitrary<string[]> {
  if (!spec.takesValue) return fc.constant([`--${spec.long}`]);
  const forms: fc.Arbitrary<string[]>[] = [
    separateValue.map((v) => [`--${spec.long}`, v]),
    attachedValue.map((v) => [`--${spec.long}=${v}`]),
  ];
  if (spec.short) {
    forms.push(separateValue.map((v) => [`-${spec.short}`, v]));
    // `-mv`: the value must not start with `=` (clap would drop it: `-m=v` is the explicit form).
    forms.push(attachedValue.filter((v) => v.length > 0 && !v.startsWith("=")).map((v) => [`-${spec.short}${v}`]));
    forms.push(attachedValue.map((v) => [`-${spec.short}=${v}`]));
  }
  return fc.oneof(...forms);
}

const KEPT_ROOT = ROOT_OPTIONS.filter((s) => s.long !== "image");
const rootOccurrence = fc.constantFrom(...KEPT_ROOT).chain(occurrence);
const promptText = fc.tuple(fc.string({ unit: "grapheme", maxLength: 10 }), fc.nat()).map(([s, n]) => `PROMPT ${n} ${s}`);
const image = fc.nat().map((n) => `IMG-${n}.png`);
/** Images in a spelling that ends the image list before whatever follows (attached form: one value each). */
const imageGroup = fc.oneof(
  image.map((i) => [`--image=${i}`]),
  image.map((i) => [`-i${i}`]),
  image.map((i) => [`-i=${i}`]),
  fc.array(image, { minLength: 1, maxLength: 3 }).map((is) => ["-i", ...is]),
);

interface Built {
  argv: string[];
  optionTokens: string[];
  prompt: string | null;
  images: string[];
}

/**
 * `[opts/images…] [PROMPT] [opts/images…]`, or `[opts…] -- PROMPT`. A separate-form image list
 * swallows following positionals, so the PROMPT goes first, or after `--`, or after a non-image option.
 */
const constructedRoot: fc.Arbitrary<Built> = fc
  .record({
    groups: fc.array(fc.oneof({ weight: 3, arbitrary: rootOccurrence.map((t) => ({ opt: t })) }, { weight: 1, arbitrary: imageGroup.map((t) => ({ img: t })) }), { maxLength: 8 }),
    prompt: fc.option(promptText, { nil: null }),
    where: fc.constantFrom("first", "dashdash", "middle"),
    cut: fc.nat(),
  })
  .map(({ groups, prompt, where, cut }) => {
    const argv: string[] = [];
    const optionTokens: string[] = [];
    const images: string[] = [];
    // "middle": after the first option group that is not an image list (else first).
    let at = where === "middle" ? groups.findIndex((g, i) => i >= cut % (groups.length + 1) && "opt" in g) : -1;
    const promptSafe = prompt !== null && !looksLikeOption(prompt);
    if (prompt !== null && where === "first" && promptSafe) argv.push(prompt);
    groups.forEach((g, i) => {
      if ("opt" in g) {
        argv.push(...g.opt);
        optionTokens.push(...g.opt);
      } else {
        argv.push(...g.img);
        images.push(...(g.img[0] === "-i" ? g.img.slice(1) : [g.img[0]!.replace(/^(--image=|-i=|-i)/, "")]));
      }
      if (prompt !== null && where === "middle" && i === at) argv.push(prompt);
    });
    if (prompt !== null && (where === "dashdash" || (where === "middle" && at === -1) || (where === "first" && !promptSafe))) argv.push("--", prompt);
    return { argv, optionTokens, prompt, images };
  });

describe("constructed argvs (known options, PROMPT, images)", () => {
  it("root options round-trip exactly and in order; the PROMPT and images are never in the resume argv", () => {
    fc.assert(
      fc.property(constructedRoot, fc.option(fc.constantFrom("/wt/1", "/w t/ü"), { nil: null }), (b, cwd) => {
        const p = parseCodexArgv(b.argv);
        expect(p.kind, `${JSON.stringify(b.argv)}: ${p.reason}`).toBe("interactive");
        expect(p.prompt).toBe(b.prompt);
        expect(p.images).toEqual(b.images);
        expect(flatTokens(p)).toEqual(b.optionTokens);
        const resume = buildResumeArgv(p, ID, { sessionCwd: cwd });
        // The worktree replacement is the one documented change; everything else verbatim.
        const expectedOpts = cwd === null ? b.optionTokens : b.optionTokens.flatMap((t) => (t === "--worktree" ? ["-C", cwd] : [t]));
        const lead = needsNoDaemon(p) ? ["--no-daemon"] : [];
        expect(resume).toEqual([...lead, ...expectedOpts, "resume", ID]);
        for (const t of resume) {
          expect(t.includes("PROMPT")).toBe(false);
          expect(t.includes("IMG")).toBe(false);
        }
        // First launch: --no-daemon first, once, and the rest verbatim.
        const launch = withNoDaemon(p);
        expect(launch).toEqual([...lead, ...b.argv]);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("resume/fork: root and subcommand options kept in order (selection options dropped); old id, PROMPT and images never re-sent", () => {
    const sessionOcc = fc.oneof(
      { weight: 3, arbitrary: rootOccurrence.map((t) => ({ opt: t })) },
      { weight: 1, arbitrary: fc.constantFrom("--last", "--all").map((t) => ({ sel: [t] })) },
      { weight: 1, arbitrary: imageGroup.map((t) => ({ img: t })) },
    );
    const built = fc.record({
      sub: fc.constantFrom("resume", "fork"),
      root: fc.array(rootOccurrence, { maxLength: 4 }),
      opts: fc.array(sessionOcc, { maxLength: 6 }),
      oldId: fc.option(fc.constantFrom("OLDID-5973b6c0-94b8-487b-a530-2aeb6098ae0e", "OLDID-name"), { nil: null }),
      prompt: fc.option(promptText, { nil: null }),
    });
    fc.assert(
      fc.property(built, ({ sub, root, opts, oldId, prompt }) => {
        // Positionals after `--` so no image list swallows them and no option-looking PROMPT is misread.
        const positionals = oldId === null ? [] : prompt === null ? [oldId] : [oldId, prompt];
        const argv = [...root.flat(), sub, ...opts.flatMap((o) => ("opt" in o ? o.opt : "sel" in o ? o.sel : o.img)), ...(positionals.length ? ["--", ...positionals] : [])];
        const p = parseCodexArgv(argv);
        expect(p.kind, `${JSON.stringify(argv)}: ${p.reason}`).toBe("interactive-subcommand");
        const kept = opts.flatMap((o) => ("opt" in o ? o.opt : []));
        const lead = needsNoDaemon(p) ? ["--no-daemon"] : [];
        expect(buildResumeArgv(p, ID)).toEqual([...lead, ...root.flat(), "resume", ...kept, ID]);
        for (const t of buildResumeArgv(p, ID)) expect(/PROMPT|IMG|OLDID|^--last$|^--all$/.test(t)).toBe(false);
      }),
      { numRuns: RUNS * 2 },
    );
  });
});

describe("exec jobs: buildExecResumeArgv", () => {
  it("exec options kept in order before `resume`; the exec PROMPT and images never re-sent; the continue prompt last", () => {
    const execSpecs = EXEC_OPTIONS.filter((s) => s.long !== "image" && s.long !== "help" && s.long !== "version");
    const execOcc = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...execSpecs).chain((s) => occurrence(s as OptionSpec)) },
      { weight: 1, arbitrary: imageGroup },
    );
    const built = fc.record({
      root: fc.array(rootOccurrence, { maxLength: 3 }),
      alias: fc.constantFrom("exec", "e"),
      opts: fc.array(execOcc, { maxLength: 6 }),
      prompt: promptText,
      cont: fc.oneof(fc.constant("Continue."), fc.constant("-starts-with-dash"), anyText),
    });
    fc.assert(
      fc.property(built, ({ root, alias, opts, prompt, cont }) => {
        const argv = [...root.flat(), alias, ...opts.flat(), "--", prompt];
        const p = parseCodexArgv(argv);
        expect(p.subcommand).toBe("exec");
        const out = buildExecResumeArgv(p, ID, cont);
        const kept = opts.filter((o) => !(o[0] === "-i" || o[0]!.startsWith("--image") || o[0]!.startsWith("-i"))).flat();
        const tailArgs = cont.startsWith("-") && cont !== "-" ? ["--", ID, cont] : [ID, cont];
        expect(out).toEqual([...root.flat(), "exec", ...kept, "resume", ...tailArgs]);
        for (const t of out) expect(/PROMPT|IMG/.test(t)).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });
});
