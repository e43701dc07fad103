/**
 * Pulls every TypeScript code block (```ts / ```typescript) out of README.md and docs/**.md, so `npm test`
 * can type-check each against the SDK's real types. A block is its own module; free names the prose assumes
 * (`cekura`, `sessionId`, `ctx`...) are declared once in `sample-globals.d.ts`.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export interface CodeSample {
  /** Markdown file, relative to the repository root. */
  file: string;
  /** 1-based line of the block's first code line in that file. */
  line: number;
  code: string;
  /** `ts worker` blocks are checked with the Workers runtime's types, the others with web + Node types. */
  runtime: "node" | "worker";
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*(ts|typescript|tsx)\b(.*)$/;

export function extractSamples(markdown: string, file: string): CodeSample[] {
  const lines = markdown.split("\n");
  const samples: CodeSample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? "");
    if (!open) {
      // Skip other fenced blocks whole, so a ```ts line inside a ```md example is not taken as code.
      const other = /^\s*(`{3,}|~{3,})/.exec(lines[i] ?? "");
      if (other) {
        const close = other[1] ?? "```";
        for (i++; i < lines.length && !(lines[i] ?? "").trim().startsWith(close); i++);
      }
      continue;
    }
    const indent = open[1]?.length ?? 0;
    const close = open[2] ?? "```";
    const body: string[] = [];
    const start = i + 2;
    for (i++; i < lines.length && !(lines[i] ?? "").trim().startsWith(close); i++)
      body.push((lines[i] ?? "").slice(indent));
    samples.push({
      file,
      line: start,
      code: body.join("\n"),
      runtime: /\bworker\b/.test(open[4] ?? "") ? "worker" : "node",
    });
  }
  return samples;
}

/** README.md and every .md under docs/, relative paths from `root`. */
export function documentationFiles(root: string): string[] {
  const files = ["README.md", "sdk/README.md"].filter((f) => {
    try {
      return statSync(join(root, f)).isFile();
    } catch {
      return false;
    }
  });
  const docs = join(root, "docs");
  const pages = readdirSync(docs, { recursive: true, encoding: "utf8" }).filter((p) => p.endsWith(".md"));
  for (const page of pages.sort()) files.push(relative(root, join(docs, page)));
  return files;
}

export function samplesIn(root: string): CodeSample[] {
  return documentationFiles(root).flatMap((file) => extractSamples(readFileSync(join(root, file), "utf8"), file));
}
