/**
 * Redaction before storage, shared by the SDK (so chosen data never leaves the agent's process) and the
 * Worker (so nothing unredacted reaches Durable Object storage). No zod, no runtime-specific API: it runs
 * in Node, Deno, Bun and workerd alike.
 *
 * Rules (all optional, combined by union):
 * - `fields`: paths into tool arguments, tool results, custom metadata and log attributes, e.g.
 *   `card.number`, `*.email` (`*` = one key), `**.password` (`**` = any depth). Array elements are
 *   transparent (a path does not name indexes). A matching value is replaced whole by `[REDACTED:field]`.
 * - `detectors`: built-in text detectors, run over transcript text, log messages and every string inside
 *   tool arguments, tool results and log attributes (custom metadata is redacted by `fields` only, so
 *   Cekura fields such as `customer_number` or `redact_fields` pass unless listed).
 * - `patterns`: custom regular expressions `{name, pattern, flags?}`, applied where detectors are; a match
 *   becomes `[REDACTED:<name>]`. Guarded against catastrophic backtracking (see checkPattern).
 */
import type { SessionEvent } from "./wire/types.ts";

export const DETECTORS = ["email", "phone", "card", "us_ssn", "uk_nino"] as const;
export type DetectorName = (typeof DETECTORS)[number];

export interface RedactionPattern {
  /** Placeholder type: letters, digits and `_`, e.g. `order_id` -> `[REDACTED:order_id]`. */
  name: string;
  /** JavaScript regular expression source. */
  pattern: string;
  /** Any of `i`, `m`, `s`, `u` (`g` is implied). */
  flags?: string;
}

export interface RedactionRules {
  fields?: string[];
  detectors?: DetectorName[];
  patterns?: RedactionPattern[];
}

export const placeholder = (type: string) => `[REDACTED:${type}]`;

/** Limits on rules: keep the work per string bounded whatever a caller configures. */
export const REDACTION_LIMITS = {
  fields: 100,
  fieldLength: 200,
  patterns: 20,
  patternLength: 256,
  /** Sum over a pattern's quantifiers of (max - min): how much one match attempt may backtrack. */
  patternBacktrackBudget: 1000,
  /** Largest bound of one `{n,m}` quantifier. */
  quantifierMax: 256,
} as const;

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;
const FIELD_SEGMENT = /^(\*\*|\*|[^.*]+)$/;

/**
 * Why a custom pattern is refused, or undefined when it is accepted. Refused: backreferences,
 * lookarounds, unbounded quantifiers (`*`, `+`, `{n,}`; write `{0,64}`), a quantified group that holds a
 * quantifier or an alternation (nested repetition), bounds above 256 or a total backtracking budget above
 * 1000, and patterns that match the empty string. What stays is at worst linear in the text times a
 * small constant.
 */
export function checkPattern(source: string, flags = ""): string | undefined {
  if (source.length === 0) return "pattern must not be empty";
  if (source.length > REDACTION_LIMITS.patternLength)
    return `pattern must be at most ${REDACTION_LIMITS.patternLength} characters`;
  if (!/^[imsu]*$/.test(flags) || new Set(flags).size !== flags.length)
    return `flags may contain only i, m, s, u (each once), got "${flags}"`;
  let compiled: RegExp;
  try {
    compiled = new RegExp(source, flags);
  } catch (error) {
    return `not a valid regular expression: ${(error as Error).message}`;
  }
  // Scan the source: groups as a stack of {quantified-content flags}.
  const stack: { hasQuantifier: boolean; hasAlternation: boolean }[] = [
    { hasQuantifier: false, hasAlternation: false },
  ];
  let budget = 0;
  let inClass = false;
  let lastAtomWasGroup: { hasQuantifier: boolean; hasAlternation: boolean } | undefined;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === "\\") {
      const next = source[i + 1] ?? "";
      if (!inClass && (/[1-9]/.test(next) || next === "k")) return "backreferences are not allowed";
      i++;
      lastAtomWasGroup = undefined;
      continue;
    }
    if (inClass) {
      if (ch === "]") inClass = false;
      continue;
    }
    if (ch === "[") {
      inClass = true;
      lastAtomWasGroup = undefined;
      continue;
    }
    if (ch === "(") {
      if (
        source.startsWith("(?=", i) ||
        source.startsWith("(?!", i) ||
        source.startsWith("(?<=", i) ||
        source.startsWith("(?<!", i)
      ) {
        return "lookahead and lookbehind are not allowed";
      }
      stack.push({ hasQuantifier: false, hasAlternation: false });
      lastAtomWasGroup = undefined;
      // Group prefixes `(?:` and `(?<name>` are syntax, not quantifiers.
      if (source.startsWith("(?:", i)) i += 2;
      else if (source.startsWith("(?<", i)) i = Math.max(i, source.indexOf(">", i));
      continue;
    }
    if (ch === ")") {
      const group = stack.pop();
      if (!group || stack.length === 0) return "unbalanced parentheses";
      const parent = stack[stack.length - 1]!;
      parent.hasQuantifier ||= group.hasQuantifier;
      lastAtomWasGroup = group;
      continue;
    }
    if (ch === "|") {
      stack[stack.length - 1]!.hasAlternation = true;
      lastAtomWasGroup = undefined;
      continue;
    }
    let min: number | undefined;
    let max: number | undefined;
    let length = 1;
    if (ch === "*" || ch === "+")
      return `unbounded quantifier "${ch}" is not allowed: use a bounded one such as {0,64}`;
    if (ch === "?") [min, max] = [0, 1];
    if (ch === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
      if (m) {
        if (m[2] !== undefined && m[3] === "")
          return `unbounded quantifier "${m[0]}" is not allowed: give an upper bound`;
        min = Number(m[1]);
        max = m[3] !== undefined ? Number(m[3]) : min;
        length = m[0].length;
      }
    }
    if (min === undefined || max === undefined) {
      lastAtomWasGroup = undefined;
      continue;
    }
    if (max > REDACTION_LIMITS.quantifierMax)
      return `quantifier bound ${max} is above ${REDACTION_LIMITS.quantifierMax}`;
    if (lastAtomWasGroup && (lastAtomWasGroup.hasQuantifier || lastAtomWasGroup.hasAlternation)) {
      return "a repeated group may not contain a quantifier or an alternation (nested repetition can backtrack catastrophically)";
    }
    budget += max - min;
    if (budget > REDACTION_LIMITS.patternBacktrackBudget)
      return `the pattern's quantifiers allow too much backtracking (budget ${REDACTION_LIMITS.patternBacktrackBudget})`;
    stack[stack.length - 1]!.hasQuantifier = true;
    i += length - 1;
    if (source[i + 1] === "?") i++; // lazy modifier
    lastAtomWasGroup = undefined;
  }
  if (compiled.test("")) return "pattern matches the empty string";
  return undefined;
}

const describe = (v: unknown) =>
  typeof v === "string"
    ? JSON.stringify(v.slice(0, 80))
    : Array.isArray(v)
      ? "an array"
      : v === null
        ? "null"
        : typeof v;

/**
 * Validates rules from untrusted input (a Worker variable, a fragment, an SDK option). Returns the rules,
 * or a message naming the first problem by its path (`where.fields.2: ...`).
 */
export function parseRedactionRules(input: unknown, where = "redact"): RedactionRules | string {
  if (typeof input !== "object" || input === null || Array.isArray(input))
    return `${where} must be an object {fields?, detectors?, patterns?}, got ${describe(input)}`;
  const o = input as Record<string, unknown>;
  for (const key of Object.keys(o))
    if (!["fields", "detectors", "patterns"].includes(key))
      return `${where}.${key} is not a redaction setting (use fields, detectors, patterns)`;
  const rules: RedactionRules = {};
  if (o.fields !== undefined) {
    if (!Array.isArray(o.fields) || o.fields.length > REDACTION_LIMITS.fields)
      return `${where}.fields must be an array of at most ${REDACTION_LIMITS.fields} paths`;
    for (const [i, f] of o.fields.entries()) {
      if (
        typeof f !== "string" ||
        f.length === 0 ||
        f.length > REDACTION_LIMITS.fieldLength ||
        !f.split(".").every((s) => FIELD_SEGMENT.test(s))
      ) {
        return `${where}.fields.${i} must be a dotted path such as "card.number", "*.email" or "**.password", got ${describe(f)}`;
      }
    }
    rules.fields = [...(o.fields as string[])];
  }
  if (o.detectors !== undefined) {
    if (!Array.isArray(o.detectors)) return `${where}.detectors must be an array of ${DETECTORS.join(", ")}`;
    for (const [i, d] of o.detectors.entries()) {
      if (!DETECTORS.includes(d as DetectorName))
        return `${where}.detectors.${i} must be one of ${DETECTORS.join(", ")}, got ${describe(d)}`;
    }
    rules.detectors = [...new Set(o.detectors as DetectorName[])];
  }
  if (o.patterns !== undefined) {
    if (!Array.isArray(o.patterns) || o.patterns.length > REDACTION_LIMITS.patterns)
      return `${where}.patterns must be an array of at most ${REDACTION_LIMITS.patterns} {name, pattern, flags?}`;
    const patterns: RedactionPattern[] = [];
    for (const [i, p] of o.patterns.entries()) {
      const at = `${where}.patterns.${i}`;
      if (typeof p !== "object" || p === null) return `${at} must be an object {name, pattern, flags?}`;
      const { name, pattern, flags } = p as Record<string, unknown>;
      if (typeof name !== "string" || !NAME.test(name))
        return `${at}.name must be 1-40 letters, digits or _ starting with a letter, got ${describe(name)}`;
      if (typeof pattern !== "string") return `${at}.pattern must be a string`;
      if (flags !== undefined && typeof flags !== "string") return `${at}.flags must be a string`;
      const problem = checkPattern(pattern, flags ?? "");
      if (problem) return `${at}.pattern: ${problem}`;
      patterns.push(flags ? { name, pattern, flags } : { name, pattern });
    }
    rules.patterns = patterns;
  }
  return rules;
}

/** The union of rule sets (deployment + session). */
export function mergeRules(...sets: (RedactionRules | undefined)[]): RedactionRules {
  const fields = new Set<string>();
  const detectors = new Set<DetectorName>();
  const patterns = new Map<string, RedactionPattern>();
  for (const set of sets) {
    for (const f of set?.fields ?? []) fields.add(f);
    for (const d of set?.detectors ?? []) detectors.add(d);
    for (const p of set?.patterns ?? []) patterns.set(JSON.stringify([p.name, p.pattern, p.flags ?? ""]), p);
  }
  const out: RedactionRules = {};
  if (fields.size) out.fields = [...fields].sort();
  if (detectors.size) out.detectors = DETECTORS.filter((d) => detectors.has(d));
  if (patterns.size) out.patterns = [...patterns.values()];
  return out;
}

export const isEmptyRules = (rules: RedactionRules | undefined) =>
  !rules?.fields?.length && !rules?.detectors?.length && !rules?.patterns?.length;

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

interface Detector {
  type: string;
  regex: RegExp;
  /** Further check on a match (e.g. Luhn); the match is kept when it returns false. */
  accept?: (match: string) => boolean;
  /** A cheap test the text must pass for the detector to run at all (most text has no '@' or digits). */
  hint?: (text: string) => boolean;
}

const hasAt = (text: string) => text.includes("@");
const hasDigit = (text: string) => /\d/.test(text);

/** Built-in detectors, in the order they run (cards before phone numbers: both are digit runs). */
const BUILT_IN: Record<DetectorName, Detector> = {
  email: {
    type: "email",
    hint: hasAt,
    regex: /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}/g,
  },
  // 13-19 digits, optionally grouped by spaces or dashes, passing the Luhn check.
  card: {
    type: "card",
    hint: hasDigit,
    regex: /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g,
    accept: (m) => luhn(m.replace(/[ -]/g, "")),
  },
  // US Social Security number with separators: 123-45-6789 or 123 45 6789 (not 000/666/9xx, 00, 0000).
  us_ssn: {
    type: "us_ssn",
    hint: hasDigit,
    regex: /(?<!\d)(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?!\d)/g,
  },
  // UK National Insurance number: two letters, six digits, A-D (spaces allowed), excluding invalid prefixes.
  uk_nino: {
    type: "uk_nino",
    hint: hasDigit,
    regex:
      /(?<![A-Za-z0-9])(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])/gi,
  },
  // International (+ and 8-15 digits), North American (555) 123-4567 / 555-123-4567 / 5551234567,
  // and UK-style national numbers starting with 0 (10-11 digits).
  phone: {
    type: "phone",
    hint: hasDigit,
    regex:
      /(?<![\w+])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{1,4}){1,5}|(?:\(\d{3}\)\s?|\d{3}[ .-]?)\d{3}[ .-]?\d{4}|0\d{2,4}[ -]?\d{3,4}[ -]?\d{3,4})(?![\w])/g,
    accept: (m) => {
      const n = m.replace(/\D/g, "").length;
      return m.startsWith("+") ? n >= 8 && n <= 15 : n >= 10 && n <= 11;
    },
  },
};
const DETECTOR_ORDER: DetectorName[] = ["email", "card", "us_ssn", "uk_nino", "phone"];

type FieldMatcher = (path: readonly string[]) => boolean;

function fieldMatcher(paths: string[]): FieldMatcher {
  const compiled = paths.map((p) => p.split("."));
  const matches = (segs: string[], si: number, path: readonly string[], pi: number): boolean => {
    if (si === segs.length) return pi === path.length;
    const seg = segs[si]!;
    if (seg === "**") {
      for (let k = pi; k <= path.length; k++) if (matches(segs, si + 1, path, k)) return true;
      return false;
    }
    if (pi === path.length) return false;
    return (seg === "*" || seg === path[pi]) && matches(segs, si + 1, path, pi + 1);
  };
  return (path) => compiled.some((segs) => matches(segs, 0, path, 0));
}

/** A compiled rule set. Pure: every method returns a new value and never throws on data. */
export interface Redactor {
  /** False when the rules are empty (every method is then the identity). */
  readonly active: boolean;
  readonly rules: RedactionRules;
  /** Detectors and patterns over free text. */
  text(value: string): string;
  /** Field paths, then detectors/patterns on every string leaf (`scanStrings: false` for metadata). */
  json(value: unknown, scanStrings?: boolean): unknown;
  /** The same over JSON text (tool arguments/results); text that is not JSON is redacted as text. */
  jsonText(value: string): string;
  /**
   * One protocol event, redacted by kind. `maxText` caps its texts after redaction (a placeholder can be
   * longer than what it replaced; a text past the protocol's limit would get the whole fragment refused).
   */
  event<E extends SessionEvent>(event: E, maxText?: number): E;
  /** An OTLP JSON span (or any OTLP JSON value): string attribute values, by key and content. */
  otlp<T>(value: T): T;
}

export function createRedactor(rules: RedactionRules | undefined): Redactor {
  const merged = mergeRules(rules);
  const active = !isEmptyRules(merged);
  const isField = merged.fields?.length ? fieldMatcher(merged.fields) : () => false;
  const scanners: Detector[] = [
    ...DETECTOR_ORDER.filter((d) => merged.detectors?.includes(d)).map((d) => BUILT_IN[d]),
    ...(merged.patterns ?? []).map((p) => ({ type: p.name, regex: new RegExp(p.pattern, `${p.flags ?? ""}g`) })),
  ];

  const text = (value: string): string => {
    let out = value;
    for (const d of scanners) {
      if (d.hint && !d.hint(out)) continue;
      d.regex.lastIndex = 0;
      out = out.replace(d.regex, (m) => (d.accept && !d.accept(m) ? m : placeholder(d.type)));
    }
    return out;
  };

  const walk = (value: unknown, path: string[], scan: boolean): unknown => {
    if (path.length > 0 && isField(path) && value !== null) return placeholder("field");
    if (typeof value === "string") return scan ? text(value) : value;
    if (Array.isArray(value)) return value.map((v) => walk(v, path, scan));
    if (typeof value === "object" && value !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = walk(v, [...path, k], scan);
      return out;
    }
    return value;
  };

  const jsonText = (value: string): string => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      return text(value);
    }
    return JSON.stringify(walk(parsed, [], true));
  };

  /** OTLP `{key, value: {stringValue}}` attributes: a key listed in `fields` hides the value; strings are scanned. */
  const otlp = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(otlp);
    if (typeof value !== "object" || value === null) return value;
    const o = value as Record<string, unknown>;
    if (typeof o.key === "string" && typeof o.value === "object" && o.value !== null) {
      const v = o.value as Record<string, unknown>;
      if (isField([o.key])) return { ...o, value: { stringValue: placeholder("field") } };
      if (typeof v.stringValue === "string") {
        const s = v.stringValue;
        const redacted = /^\s*[[{]/.test(s) ? jsonText(s) : text(s);
        return { ...o, value: { ...v, stringValue: redacted } };
      }
      return { ...o, value: otlp(v) };
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) out[k] = otlp(v);
    return out;
  };

  const event = <E extends SessionEvent>(e: E, maxText = Infinity): E => {
    const cap = (s: string) => (s.length > maxText ? s.slice(0, maxText) : s);
    switch (e.kind) {
      case "transcript":
        return { ...e, text: cap(text(e.text)) };
      case "tool_call":
        return { ...e, arguments: cap(jsonText(e.arguments)) };
      case "tool_result":
        return { ...e, result: cap(jsonText(e.result)) };
      case "log":
        return e.attributes === undefined
          ? { ...e, message: cap(text(e.message)) }
          : {
              ...e,
              message: cap(text(e.message)),
              attributes: walk(e.attributes, [], true) as Record<string, unknown>,
            };
      case "metadata":
        return { ...e, patch: walk(e.patch, [], false) as Record<string, unknown> };
      default:
        return e;
    }
  };

  if (!active) {
    const id = <T>(v: T) => v;
    return { active, rules: merged, text: id, json: id, jsonText: id, event: id, otlp: id };
  }
  return {
    active,
    rules: merged,
    text,
    json: (v, scan = true) => walk(v, [], scan),
    jsonText,
    event,
    otlp: otlp as <T>(v: T) => T,
  };
}

/** An OTLP/HTTP JSON request body, redacted (the SDK's trace sink); bytes that are not JSON pass unchanged. */
export function redactOtlpBody(redactor: Redactor, body: Uint8Array): Uint8Array {
  if (!redactor.active) return body;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return body;
  }
  return new TextEncoder().encode(JSON.stringify(redactor.otlp(parsed)));
}
