/**
 * The guard on custom patterns. JavaScript's regex engine backtracks, so a pattern is accepted only when
 * the number of ways it can match at one position is small and known in advance: that count (the
 * product, along a sequence, of each quantifier's `max - min + 1` and of each alternation's branch
 * paths) must stay under PATHS_BUDGET. A backtracking search then tries at most that many paths per start
 * position, so the work is linear in the text times a constant. Refused outright: unbounded quantifiers,
 * a quantified group that can itself match in more than one way (nested repetition), backreferences and
 * lookarounds.
 */

export const PATTERN_LIMITS = {
  patternLength: 256,
  /** Largest bound of one `{n,m}` quantifier. */
  quantifierMax: 256,
  /** Ways one match attempt may try at one position (e.g. `\d{0,255}` = 256, `\d{0,15}\d{0,15}` = 256). */
  pathsBudget: 256,
} as const;

class Refused extends Error {}

/** Recursive descent over the pattern source, counting match paths. */
class Counter {
  i = 0;
  constructor(readonly src: string) {}

  alternation(): number {
    let paths = this.sequence();
    while (this.src[this.i] === "|") {
      this.i++;
      paths += this.sequence();
      this.#check(paths);
    }
    return paths;
  }

  sequence(): number {
    let paths = 1;
    while (this.i < this.src.length && this.src[this.i] !== "|" && this.src[this.i] !== ")") {
      const atom = this.atom();
      const q = this.quantifier();
      if (q) {
        if (atom > 1)
          throw new Refused(
            "a repeated group may not contain a quantifier or an alternation (nested repetition can backtrack catastrophically)",
          );
        paths *= q.max - q.min + 1;
      } else paths *= atom;
      this.#check(paths);
    }
    return paths;
  }

  #check(paths: number) {
    if (paths > PATTERN_LIMITS.pathsBudget)
      throw new Refused(
        `the pattern's quantifiers and alternations allow too much backtracking (${PATTERN_LIMITS.pathsBudget} ways to match at one position at most; adjacent quantifiers multiply)`,
      );
  }

  /** One atom; returns its number of match paths. */
  atom(): number {
    const { src } = this;
    const ch = src[this.i]!;
    if (ch === "\\") {
      const next = src[this.i + 1] ?? "";
      if (/[1-9]/.test(next) || next === "k") throw new Refused("backreferences are not allowed");
      if ((next === "p" || next === "P" || next === "u") && src[this.i + 2] === "{") {
        const end = src.indexOf("}", this.i);
        this.i = end < 0 ? src.length : end + 1;
      } else this.i += 2;
      return 1;
    }
    if (ch === "[") {
      this.i++;
      if (src[this.i] === "^") this.i++;
      if (src[this.i] === "]") this.i++;
      while (this.i < src.length && src[this.i] !== "]") this.i += src[this.i] === "\\" ? 2 : 1;
      this.i++;
      return 1;
    }
    if (ch === "(") {
      if (/^\(\?<?[=!]/.test(src.slice(this.i, this.i + 4)))
        throw new Refused("lookahead and lookbehind are not allowed");
      this.i++;
      if (src.startsWith("?:", this.i)) this.i += 2;
      else if (src.startsWith("?<", this.i)) this.i = src.indexOf(">", this.i) + 1;
      const paths = this.alternation();
      if (src[this.i] !== ")") throw new Refused("unbalanced parentheses");
      this.i++;
      return paths;
    }
    if (ch === "*" || ch === "+" || ch === "?") throw new Refused(`quantifier "${ch}" has nothing to repeat`);
    this.i++;
    return 1;
  }

  quantifier(): { min: number; max: number } | undefined {
    const { src } = this;
    const ch = src[this.i];
    let q: { min: number; max: number } | undefined;
    if (ch === "*" || ch === "+")
      throw new Refused(`unbounded quantifier "${ch}" is not allowed: use a bounded one such as {0,64}`);
    if (ch === "?") {
      q = { min: 0, max: 1 };
      this.i++;
    } else if (ch === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(this.i));
      if (!m) return undefined; // a literal "{"
      if (m[2] !== undefined && m[3] === "")
        throw new Refused(`unbounded quantifier "${m[0]}" is not allowed: give an upper bound`);
      q = { min: Number(m[1]), max: m[3] !== undefined ? Number(m[3]) : Number(m[1]) };
      if (q.max > PATTERN_LIMITS.quantifierMax)
        throw new Refused(`quantifier bound ${q.max} is above ${PATTERN_LIMITS.quantifierMax}`);
      this.i += m[0].length;
    }
    if (q && src[this.i] === "?") this.i++; // lazy
    if (q && /[*+?{]/.test(src[this.i] ?? "") && this.quantifierAhead())
      throw new Refused("a quantifier may not be quantified again (nested repetition)");
    return q;
  }

  quantifierAhead(): boolean {
    const c = this.src[this.i];
    return c === "*" || c === "+" || c === "?" || (c === "{" && /^\{\d+(,\d*)?\}/.test(this.src.slice(this.i)));
  }
}

/**
 * Why a custom pattern is refused, or undefined when it is accepted (see the module comment).
 */
export function checkPattern(source: string, flags = ""): string | undefined {
  if (source.length === 0) return "pattern must not be empty";
  if (source.length > PATTERN_LIMITS.patternLength)
    return `pattern must be at most ${PATTERN_LIMITS.patternLength} characters`;
  if (!/^[imsu]*$/.test(flags) || new Set(flags).size !== flags.length)
    return `flags may contain only i, m, s, u (each once), got "${flags}"`;
  let compiled: RegExp;
  try {
    compiled = new RegExp(source, flags);
  } catch (error) {
    return `not a valid regular expression: ${(error as Error).message}`;
  }
  try {
    const counter = new Counter(source);
    counter.alternation();
    if (counter.i < source.length) return "unbalanced parentheses";
  } catch (error) {
    if (error instanceof Refused) return error.message;
    throw error;
  }
  if (compiled.test("")) return "pattern matches the empty string";
  return undefined;
}
