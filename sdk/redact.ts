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

import {
  BUILT_IN,
  DETECTOR_ORDER,
  DETECTORS,
  type Detector,
  type DetectorName,
  isCardNumber,
} from "./redact/detectors.ts";
import { fieldMatcher, parseFieldPath } from "./redact/field-paths.ts";
import { checkPattern, PATTERN_LIMITS } from "./redact/pattern-guard.ts";

export { checkPattern, DETECTORS, type DetectorName };

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
  ...PATTERN_LIMITS,
} as const;

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;

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
        parseFieldPath(f) === undefined
      ) {
        return `${where}.fields.${i} must be a dotted path such as "card.number", "*.email", "**.password" or "[gen_ai.prompt]", got ${describe(f)}`;
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
  const cards = merged.detectors?.includes("card") ?? false;
  const scanners: Detector[] = [
    ...DETECTOR_ORDER.filter((d) => merged.detectors?.includes(d)).map((d) => BUILT_IN[d]),
    ...(merged.patterns ?? []).map((p) => ({ type: p.name, regex: new RegExp(p.pattern, `${p.flags ?? ""}g`) })),
  ];

  const text = (value: string): string => {
    let out = value;
    for (const d of scanners) {
      if (d.hint && !d.hint(out)) continue;
      d.regex.lastIndex = 0;
      const accept = d.accept;
      out = out.replace(d.regex, (...args: unknown[]) => {
        const m = args[0] as string;
        if (!accept) return placeholder(d.type);
        // replace() passes (match, ...groups, offset, whole, groups?): the offset is the first number.
        const at = args.findIndex((a, i) => i > 0 && typeof a === "number");
        return accept(m, args[at + 1] as string, args[at] as number) ? placeholder(d.type) : m;
      });
    }
    return out;
  };

  /** A JSON number (or OTLP intValue) that is a card number, by the card detector. */
  const cardValue = (n: unknown): boolean => {
    if (!cards) return false;
    const s =
      typeof n === "number" ? (Number.isSafeInteger(n) ? String(Math.abs(n)) : "") : String(n).replace(/^-/, "");
    return isCardNumber(s);
  };

  /** `seen` counts renamed keys per object, so many keys redacted to one placeholder stay linear. */
  const set = (out: Record<string, unknown>, key: string, value: unknown, seen?: Map<string, number>) => {
    let k = key;
    if (seen && Object.hasOwn(out, k)) {
      let n = seen.get(key) ?? 1;
      do k = `${key} (${++n})`;
      while (Object.hasOwn(out, k));
      seen.set(key, n);
    }
    // defineProperty: a key named "__proto__" stays a plain key.
    Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
  };

  const walk = (value: unknown, path: string[], scan: boolean): unknown => {
    if (path.length > 0 && isField(path) && value !== null) return placeholder("field");
    if (typeof value === "string") return scan ? text(value) : value;
    if (typeof value === "number") return scan && cardValue(value) ? placeholder("card") : value;
    if (Array.isArray(value)) return value.map((v) => walk(v, path, scan));
    if (typeof value === "object" && value !== null) {
      const out: Record<string, unknown> = {};
      const seen = new Map<string, number>();
      // Keys are scanned too (an email used as a key is still an email); field paths see the key as sent.
      for (const [k, v] of Object.entries(value)) set(out, scan ? text(k) : k, walk(v, [...path, k], scan), seen);
      return out;
    }
    return value;
  };

  const jsonText = (value: string): string => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(cards ? quoteCardNumbers(value) : value);
    } catch {
      return text(value);
    }
    return JSON.stringify(walk(parsed, [], true));
  };

  const scanString = (s: string) => (/^\s*[[{]/.test(s) ? jsonText(s) : text(s));

  /** An OTLP AnyValue at any depth: strings scanned, int card numbers replaced, arrays and kvlists walked. */
  const anyValue = (value: unknown, path: string[]): unknown => {
    if (typeof value !== "object" || value === null) return value;
    const v = value as Record<string, unknown>;
    if (typeof v.stringValue === "string") return { ...v, stringValue: scanString(v.stringValue) };
    if (v.intValue !== undefined && cardValue(v.intValue)) return { stringValue: placeholder("card") };
    const array = v.arrayValue as { values?: unknown } | undefined;
    if (array && Array.isArray(array.values))
      return { ...v, arrayValue: { ...array, values: array.values.map((x) => anyValue(x, path)) } };
    const kvlist = v.kvlistValue as { values?: unknown } | undefined;
    if (kvlist && Array.isArray(kvlist.values))
      return { ...v, kvlistValue: { ...kvlist, values: kvlist.values.map((kv) => keyValue(kv, path)) } };
    return value;
  };

  /** An OTLP `{key, value}`: a key named by `fields` (dotted keys included) hides the value whole. */
  const keyValue = (kv: unknown, path: string[]): unknown => {
    if (typeof kv !== "object" || kv === null) return kv;
    const o = kv as Record<string, unknown>;
    if (typeof o.key !== "string") return otlp(kv);
    const at = [...path, o.key];
    if (isField(at)) return { ...o, value: { stringValue: placeholder("field") } };
    return { ...o, value: anyValue(o.value, at) };
  };

  /**
   * One walk over any OTLP JSON value: every attribute list (resource, scope, span, event, link), span
   * and event names, status messages and log bodies. Ids, times and kinds are left as they are.
   */
  const otlp = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(otlp);
    if (typeof value !== "object" || value === null) return value;
    const o = value as Record<string, unknown>;
    if (typeof o.key === "string" && "value" in o) return keyValue(o, []);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) {
      let next: unknown;
      if (k === "attributes" && Array.isArray(v)) next = v.map((kv) => keyValue(kv, []));
      else if ((k === "name" || k === "message") && typeof v === "string") next = text(v);
      else if (k === "body") next = anyValue(v, []);
      else next = otlp(v);
      set(out, k, next);
    }
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

/**
 * JSON text with every integer token that is a card number (13-19 digits, issuer, Luhn) turned into the
 * string "[REDACTED:card]" before parsing: JSON.parse would round a 16+ digit number, losing the digits
 * the detector needs. Strings are skipped (the text detectors see them after parsing).
 */
export function quoteCardNumbers(json: string): string {
  if (!/\d{13}/.test(json)) return json;
  let out = "";
  let last = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) {
      inString = true;
      continue;
    }
    if ((c >= 48 && c <= 57) || c === 45) {
      let j = i + (c === 45 ? 1 : 0);
      while (j < json.length && json.charCodeAt(j) >= 48 && json.charCodeAt(j) <= 57) j++;
      let end = j;
      while (end < json.length && /[.eE+\-\d]/.test(json[end]!)) end++;
      const digits = json.slice(i + (c === 45 ? 1 : 0), j);
      if (end === j && isCardNumber(digits)) {
        out += `${json.slice(last, i)}"${placeholder("card")}"`;
        last = j;
      }
      i = end - 1;
    }
  }
  return last === 0 ? json : out + json.slice(last);
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
