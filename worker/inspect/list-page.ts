/** `/inspect`: recent sessions of the caller's tenant. */
import type { SessionStatus } from "../session/status.ts";
import { esc, num, page, pill } from "./html.ts";

export interface ListRow {
  sessionId: string;
  createdAt: number;
  /** undefined when the session's DO had nothing to say (e.g. it was never created). */
  status?: SessionStatus;
  /** The call's duration from its record, once finalized. */
  recordDurationSeconds?: number;
}

/** Until the record exists: from first contact to close (or the last activity). */
function liveDurationSeconds(s: SessionStatus): number {
  const end = Date.parse(s.closeRequestedAt ?? s.lastActivityAt);
  return Math.max(0, (end - Date.parse(s.createdAt)) / 1000);
}

export function renderListPage(rows: ListRow[]): string {
  const body = rows.length
    ? rows
        .map((row) => {
          const s = row.status;
          const href = `/inspect/${encodeURIComponent(row.sessionId)}`;
          return `<tr class="session-row" data-session="${esc(row.sessionId)}"><td><a href="${esc(href)}"><code>${esc(row.sessionId)}</code></a></td>
<td>${esc(new Date(row.createdAt).toISOString())}</td><td>${pill(s?.state)}</td><td>${esc(s?.mode ?? "-")}</td><td>${pill(s?.consent)}</td>
<td>${pill(s?.forward.status)}${s?.forward.attempts ? ` <span class="muted">(${esc(s.forward.attempts)} attempt${s.forward.attempts === 1 ? "" : "s"})</span>` : ""}</td>
<td>${row.recordDurationSeconds !== undefined ? `${num(row.recordDurationSeconds, 1)} s` : s ? `${num(liveDurationSeconds(s), 1)} s` : "-"}</td><td>${s ? esc(s.counts.events) : "-"}</td></tr>`;
        })
        .join("\n")
    : `<tr><td colspan="8" class="muted">No sessions yet for this key. Record one with the SDK (or run <code>npm start</code>).</td></tr>`;
  return page(
    "Sessions",
    `<section><h2>Recent sessions</h2><table id="sessions"><thead><tr><th>Session</th><th>First seen (UTC)</th><th>State</th><th>Mode</th><th>Consent</th><th>Forward</th><th>Duration</th><th>Events</th></tr></thead>
<tbody>${body}</tbody></table></section>
<form method="post" action="/inspect/logout"><button type="submit">Forget the key in this browser</button></form>`,
  );
}

/** Asked for when no (valid) key came with the request. */
export function renderLoginPage(message: string): string {
  return page(
    "Inspector: key needed",
    `<section><h2>Inspector</h2><p>${esc(message)}</p>
<form class="login" method="post" action="/inspect/login"><input type="password" name="key" autocomplete="off" placeholder="API key of the tenant" aria-label="API key"><button type="submit">Open</button></form>
<p class="muted">The key is checked once and never stored in this browser: a signed, read-only sign-in (HttpOnly cookie, this site only) is kept instead.</p></section>`,
  );
}

export function renderMessagePage(title: string, message: string): string {
  return page(
    title,
    `<section><h2>${esc(title)}</h2><p>${esc(message)}</p><p><a href="/inspect">Back to sessions</a></p></section>`,
  );
}
