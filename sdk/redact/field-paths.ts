/**
 * Field paths: `card.number`, `*.email` (`*` = one key), `**.password` (`**` = any depth). Array elements
 * are transparent. A key that itself holds dots (OTel's `gen_ai.prompt`) is matched two ways:
 * - as written: `gen_ai.prompt` matches the key `gen_ai.prompt` as well as `{gen_ai: {prompt}}`;
 * - as a bracketed literal segment: `[gen_ai.prompt]` or `attributes.[http.url]` names exactly one key.
 */

type Segment = { kind: "any" } | { kind: "one" } | { kind: "name"; name: string } | { kind: "literal"; name: string };

const TOKEN = /\[([^\][]{1,200})\]|([^.[\]]+)/y;

/** The path's segments, or undefined when it is not a valid path. */
export function parseFieldPath(path: string): Segment[] | undefined {
  const out: Segment[] = [];
  let i = 0;
  while (i < path.length) {
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(path);
    if (!m) return undefined;
    if (m[1] !== undefined) out.push({ kind: "literal", name: m[1] });
    else if (m[2] === "**") out.push({ kind: "any" });
    else if (m[2] === "*") out.push({ kind: "one" });
    else if (m[2]!.includes("*")) return undefined;
    else out.push({ kind: "name", name: m[2]! });
    i = TOKEN.lastIndex;
    if (i < path.length) {
      if (path[i] !== ".") return undefined;
      i++;
      if (i === path.length) return undefined;
    }
  }
  return out.length ? out : undefined;
}

export type FieldMatcher = (path: readonly string[]) => boolean;

export function fieldMatcher(paths: string[]): FieldMatcher {
  const compiled = paths.map(parseFieldPath).filter((p): p is Segment[] => p !== undefined);
  const matches = (segs: Segment[], si: number, path: readonly string[], pi: number): boolean => {
    if (si === segs.length) return pi === path.length;
    const seg = segs[si]!;
    if (seg.kind === "any") {
      for (let k = pi; k <= path.length; k++) if (matches(segs, si + 1, path, k)) return true;
      return false;
    }
    if (pi === path.length) return false;
    const key = path[pi]!;
    if (seg.kind === "one" || seg.name === key) return matches(segs, si + 1, path, pi + 1);
    if (seg.kind === "literal" || !key.includes(".")) return false;
    // Key-first: a dotted key is also matched by the path's next plain segments (gen_ai.prompt).
    const parts = key.split(".");
    for (let j = 0; j < parts.length; j++) {
      const s = segs[si + j];
      if (!s || s.kind !== "name" || s.name !== parts[j]) return false;
    }
    return matches(segs, si + parts.length, path, pi + 1);
  };
  return (path) => compiled.some((segs) => matches(segs, 0, path, 0));
}
