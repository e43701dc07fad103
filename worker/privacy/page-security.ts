/**
 * A strict Content-Security-Policy for the inspector's pages, with no 'unsafe-inline' anywhere:
 * - the page's own inline `<style>` and `<script>` are allowed by their SHA-256 hashes, computed from the
 *   constants the renderers inline (never from the rendered page, so markup that slipped into a page
 *   could not allow itself);
 * - inline `style="..."` attributes (positions and widths of timeline bars) are moved into one generated
 *   stylesheet as `[data-s="N"]` rules, allowed by its hash; a declaration outside a small safe grammar
 *   is dropped, never copied.
 */
import { SCRIPT as CALL_PAGE_SCRIPT } from "../inspect/call-page.ts";
import { STYLE as PAGE_STYLE } from "../inspect/html.ts";

/** Every inline stylesheet and script the inspector's renderers emit. */
const TRUSTED_STYLES = [PAGE_STYLE];
const TRUSTED_SCRIPTS = [CALL_PAGE_SCRIPT];

async function sha256Source(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return `'sha256-${btoa(String.fromCharCode(...digest))}'`;
}

let trustedHashes: Promise<{ styles: string[]; scripts: string[] }> | undefined;
const trusted = () =>
  (trustedHashes ??= Promise.all([
    Promise.all(TRUSTED_STYLES.map(sha256Source)),
    Promise.all(TRUSTED_SCRIPTS.map(sha256Source)),
  ]).then(([styles, scripts]) => ({ styles, scripts })));

const ENTITIES: Record<string, string> = {
  "&amp;": "&",
  "&quot;": '"',
  "&#39;": "'",
  "&lt;": "<",
  "&gt;": ">",
  "&#96;": "`",
};
/** Properties, numbers, units, percentages, calc(): what the renderers write; nothing that can load or escape. */
const SAFE_DECLARATIONS = /^[a-z-]+\s*:\s*[a-z0-9 .,%()+*/#-]+$/i;

/** Moves `style="..."` attributes into `[data-s="N"]` rules (with !important, so they still win like inline styles). */
export function hoistInlineStyles(html: string): { html: string; css: string } {
  const ids = new Map<string, number>();
  const out = html.replace(/ style="([^"]*)"/g, (_match, raw: string) => {
    const declarations = raw
      .replace(/&(amp|quot|#39|lt|gt|#96);/g, (e) => ENTITIES[e] ?? e)
      .split(";")
      .map((d) => d.trim())
      .filter((d) => d !== "" && SAFE_DECLARATIONS.test(d));
    if (declarations.length === 0) return "";
    const css = declarations.map((d) => `${d} !important`).join(";");
    let id = ids.get(css);
    if (id === undefined) ids.set(css, (id = ids.size));
    return ` data-s="${id}"`;
  });
  const css = [...ids].map(([declarations, id]) => `[data-s="${id}"]{${declarations}}`).join("\n");
  return { html: out, css };
}

const BASE_POLICY =
  "default-src 'none'; media-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** The page with its inline styles hoisted, and the CSP header that allows exactly its inline code. */
export async function securePage(html: string): Promise<{ html: string; csp: string }> {
  const hoisted = hoistInlineStyles(html);
  let body = hoisted.html;
  const { styles, scripts } = await trusted();
  const styleHashes = [...styles];
  if (hoisted.css) {
    body = body.replace("</head>", `<style>${hoisted.css}</style></head>`);
    styleHashes.push(await sha256Source(hoisted.css));
  }
  return { html: body, csp: `${BASE_POLICY}; style-src ${styleHashes.join(" ")}; script-src ${scripts.join(" ")}` };
}
