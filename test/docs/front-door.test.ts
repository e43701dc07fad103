import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../worker/local/local-worker.ts";
import { documentationFiles } from "./extract-samples.ts";

// The README is the front door (issue 28): short, the same test command CI runs, and every relative link in it
// and in docs/ lands on a file and, with a #fragment, on a heading of that file.

const read = (file: string) => readFileSync(join(REPO_ROOT, file), "utf8");

/** Markdown without fenced code blocks (a link-like string in code is not a link). */
const prose = (markdown: string) => markdown.replace(/^\s*(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\s*\1[^\n]*$/gm, "");

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, text] of prose(markdown).matchAll(/^#{1,6} +(.+?) *#* *$/gm)) {
    const slug = (text ?? "")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}_\- ]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** Every relative link target that does not resolve, as "file: target". */
function brokenLinks(root: string, files: string[]): string[] {
  const broken: string[] = [];
  for (const file of files) {
    const text = readFileSync(join(root, file), "utf8");
    for (const [, target] of prose(text).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!target || /^[a-z][a-z+.-]*:/i.test(target)) continue;
      const [path = "", fragment] = target.split("#");
      const resolved = path ? normalize(join(dirname(file), path)) : file;
      if (!existsSync(join(root, resolved))) broken.push(`${file}: ${target} (no file ${resolved})`);
      else if (
        fragment &&
        resolved.endsWith(".md") &&
        !anchorsOf(readFileSync(join(root, resolved), "utf8")).has(fragment)
      )
        broken.push(`${file}: ${target} (no heading #${fragment} in ${resolved})`);
    }
  }
  return broken;
}

describe("the README front door", () => {
  it("stays a front door: at most 250 lines", () => {
    expect(read("README.md").split("\n").length).toBeLessThanOrEqual(250);
  });

  it("gives the same test command that CI runs after its install", () => {
    const ci = read(".ci/run")
      .split("\n")
      .filter((l) => l.trim() && !l.trim().startsWith("#"));
    expect(ci.at(-1)?.trim()).toBe("npm test");
    expect(ci.at(-2)?.trim()).toMatch(/^npm ci\b/);
    expect(read("README.md")).toMatch(/^npm test\s/m);
  });

  it("has relative links in README.md and docs/ that all resolve, #anchors included", () => {
    const files = documentationFiles(REPO_ROOT);
    expect(files).toContain("README.md");
    expect(brokenLinks(REPO_ROOT, files)).toEqual([]);
  });

  it("finds a broken link and a broken anchor (the check can fail)", () => {
    const dir = join(REPO_ROOT, "test/docs/fixtures");
    expect(brokenLinks(dir, ["links.md"])).toEqual([
      "links.md: missing.md (no file missing.md)",
      "links.md: #no-such-heading (no heading #no-such-heading in links.md)",
    ]);
  });
});
