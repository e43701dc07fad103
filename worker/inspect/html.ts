/** HTML building blocks for the inspector: every dynamic value goes through `esc` (or `attr`). */

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
  "`": "&#96;",
};

/** Escapes text for element content and quoted attribute values. */
export function esc(value: unknown): string {
  const text =
    value === null || value === undefined
      ? ""
      : typeof value === "string"
        ? value
        : typeof value === "object"
          ? JSON.stringify(value)
          : String(value);
  return text.replace(/[&<>"'`]/g, (ch) => ESCAPES[ch] ?? ch);
}

/** A number for inline style/SVG attributes: finite, rounded, never text. */
export function num(value: number, digits = 3): string {
  return Number.isFinite(value) ? String(Math.round(value * 10 ** digits) / 10 ** digits) : "0";
}

/** Pretty JSON from a JSON string (tool arguments/results are JSON text); the raw text when it does not parse. */
export function prettyJson(text: string | null): string {
  if (text === null) return "";
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export const STYLE = `
:root{--fg:#1d2330;--muted:#667085;--line:#e4e7ec;--bg:#f8f9fb;--user:#2f6fde;--assistant:#12a070;--system:#8a63d2;--stt:#e8871e;--llm:#7a5af8;--tts:#12a070;--turn:#98a2b3;--conv:#475467;--tool:#d92d20}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#101828;color:#fff;padding:10px 20px;display:flex;gap:16px;align-items:baseline}header a{color:#d0d5dd;text-decoration:none}
header h1{font-size:16px;margin:0}main{padding:16px 20px;max-width:1280px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px;margin:0 0 14px}
h2{font-size:15px;margin:0 0 8px}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.03em}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}pre{margin:0;white-space:pre-wrap;word-break:break-word;max-height:220px;overflow:auto;background:var(--bg);padding:6px;border-radius:4px}
.muted{color:var(--muted)}.nowrap{white-space:nowrap}.pill{display:inline-block;padding:0 7px;border-radius:9px;font-size:12px;background:#eef1f5}
.pill.ok{background:#dcfae6;color:#067647}.pill.bad{background:#fee4e2;color:#b42318}.pill.warn{background:#fef0c7;color:#b54708}
.role-user{color:var(--user);font-weight:600}.role-assistant{color:var(--assistant);font-weight:600}.role-system{color:var(--system);font-weight:600}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}dl.kv dt{color:var(--muted)}dl.kv dd{margin:0}
.lanes{position:relative}.lane{display:grid;grid-template-columns:130px 1fr;align-items:center;min-height:22px}
.lane .label{font-size:12px;color:var(--muted);white-space:nowrap;overflow:hidden;text-overflow:ellipsis;padding-right:6px}
.track{position:relative;height:20px;border-left:1px solid var(--line)}
.seg{position:absolute;top:3px;height:14px;border-radius:3px;opacity:.85;min-width:2px}
.seg.user{background:var(--user)}.seg.assistant{background:var(--assistant)}.seg.system{background:var(--system)}
.seg.interrupted{outline:2px dashed var(--tool);outline-offset:1px}
.wave{position:relative;height:64px;border-left:1px solid var(--line)}.wave svg{position:absolute;top:0;left:0;height:64px}
.wave.user svg{fill:var(--user)}.wave.assistant svg{fill:var(--assistant)}
.bar{position:absolute;top:3px;height:14px;border-radius:2px;min-width:2px}
.bar.conversation{background:var(--conv)}.bar.turn{background:var(--turn)}.bar.stt{background:var(--stt)}.bar.llm{background:var(--llm)}.bar.tts{background:var(--tts)}.bar.tool_call{background:var(--tool)}.bar.other{background:#667085}
.bar .ttfb{position:absolute;top:0;left:0;height:100%;background:rgba(0,0,0,.28);border-radius:2px 0 0 2px}
.barlabel{position:absolute;top:2px;font-size:11px;white-space:nowrap;color:var(--fg)}.barlabel.inside{color:#fff;text-shadow:0 0 2px #000}
.axis{position:relative;height:16px;font-size:11px;color:var(--muted)}.axis span{position:absolute;transform:translateX(-50%)}
.playhead{position:absolute;top:0;bottom:0;width:1px;background:#d92d20;pointer-events:none;display:none}
audio{width:100%;margin:6px 0}tr.clickable{cursor:pointer}tr.clickable:hover{background:var(--bg)}
form.login{display:flex;gap:8px}form.login input{flex:1;max-width:420px;padding:6px}
`;

/** A full page. `body` must already be escaped HTML. */
export function page(title: string, body: string, script = ""): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="same-origin"><title>${esc(title)}</title><style>${STYLE}</style></head>
<body><header><h1>Cekura edge tracer</h1><a href="/inspect">Sessions</a></header><main>${body}</main>${script ? `<script>${script}</script>` : ""}</body></html>`;
}

/** A state or status as a coloured pill. */
export function pill(value: string | null | undefined): string {
  const v = value ?? "-";
  const tone = /^(finalized|delivered|granted)$/.test(v)
    ? "ok"
    : /^(dead_letter|aborted|discarded)$/.test(v)
      ? "bad"
      : /^(pending|closing|deferred|open)$/.test(v)
        ? "warn"
        : "";
  return `<span class="pill ${tone}">${esc(v)}</span>`;
}

/** Response headers of every inspector page: no caching, no referrer; the route sets a CSP allowing our inline parts by hash. */
export const PAGE_HEADERS: Record<string, string> = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on form posts, and the
  // login checks Origin. Nothing leaves for another site either way.
  "referrer-policy": "same-origin",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "content-security-policy":
    "default-src 'none'; style-src 'none'; script-src 'none'; media-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
};
