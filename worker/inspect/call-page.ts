/** `/inspect/:id`: one call - summary, timeline with waveforms, transcript, tool calls, waterfall, logs, metadata. */
import type { SessionRecord } from "../session/record.ts";
import type { SessionStatus } from "../session/status.ts";
import { esc, num, page, pill, prettyJson } from "./html.ts";
import { createAxis, renderAxis, type TimeAxis } from "./timeline.ts";
import { renderWaterfall, type WaterfallSpan } from "./waterfall.ts";
import { waveformSvg, type Waveform } from "./waveform.ts";

export interface CallView {
  status: SessionStatus;
  record: SessionRecord | null;
  spans: WaterfallSpan[];
  waveform: Waveform | undefined;
  /** Same-origin URL of the WAV (with Range support), when the record has audio. */
  audioUrl: string | undefined;
}

const CHANNELS = ["user", "assistant"] as const;

function summary(view: CallView): string {
  const { status: s, record: r } = view;
  const rows: [string, string][] = [
    ["Session", `<code>${esc(s.sessionId)}</code>`],
    ["Agent", esc(s.agentId)],
    ["Mode", esc(s.mode)],
    ["State", pill(s.state)],
    [
      "Consent",
      `${pill(s.consent)}${s.deferUpload !== false ? ` <span class="muted">deferUpload ${esc(s.deferUpload)}</span>` : ""}`,
    ],
    [
      "Forward",
      `${pill(s.forward.status)}${s.forward.attempts ? ` <span class="muted">${esc(s.forward.attempts)} attempt${s.forward.attempts === 1 ? "" : "s"}</span>` : ""}${s.forward.lastError ? ` <span class="muted">${esc(s.forward.lastError)}</span>` : ""}`,
    ],
  ];
  if (r) {
    rows.push(
      ["Started (UTC)", esc(r.startedAt)],
      ["Ended (UTC)", esc(r.endedAt)],
      ["Duration", `${num(r.durationSeconds, 1)} s`],
      ["Ended because", esc(r.endedReason)],
    );
    if (r.traceId) rows.push(["Trace id", `<code>${esc(r.traceId)}</code>`]);
    if (r.fragments.missing.length) rows.push(["Missing fragments", esc(r.fragments.missing.join(", "))]);
    if (r.audio)
      rows.push([
        "Recording",
        `${esc(r.audio.channels)} ch · ${esc(r.audio.sampleRate)} Hz · ${num(r.audio.durationSeconds, 1)} s · ${esc(r.audio.bytes)} bytes`,
      ]);
    if (r.consent.audioDropped) rows.push(["Audio dropped", esc(r.consent.audioDropped)]);
  } else {
    rows.push(
      ["First seen (UTC)", esc(s.createdAt)],
      ["Last activity (UTC)", esc(s.lastActivityAt)],
      ["Events", esc(s.counts.events)],
    );
  }
  return `<section id="summary"><h2>Call</h2><dl class="kv">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join("")}</dl></section>`;
}

function timeline(view: CallView, r: SessionRecord, axis: TimeAxis, audioStartMs: number): string {
  const lanes: string[] = [renderAxis(axis)];
  const interruptedAt = r.turns.filter((t) => t.interrupted).map((t) => Date.parse(t.endedAt ?? t.startedAt));
  for (const role of ["user", "assistant", "system"] as const) {
    const entries = r.transcript.filter((t) => t.role === role);
    if (role === "system" && entries.length === 0) continue;
    const segs = entries.map((t) => {
      const start = Date.parse(t.startedAt);
      const end = Date.parse(t.endedAt);
      const left = axis.pct(start);
      const cut =
        role === "assistant" &&
        (interruptedAt.some((at) => at >= start && at <= end + 1000) || bargedIn(r, start, end));
      return `<div class="seg ${role}${cut ? " interrupted" : ""}" style="left:${num(left)}%;width:${num(Math.max(0.2, axis.pct(end) - left))}%" title="${esc(`${t.startedAt} ${role}: ${t.text}`)}"></div>`;
    });
    lanes.push(
      `<div class="lane"><div class="label">${esc(role)} speech</div><div class="track">${segs.join("")}</div></div>`,
    );
  }
  if (view.waveform) {
    const left = axis.pct(audioStartMs);
    const width = axis.pct(audioStartMs + view.waveform.durationSeconds * 1000) - left;
    view.waveform.channels.slice(0, 2).forEach((pairs, i) => {
      const channel = CHANNELS[i] ?? "user";
      lanes.push(
        `<div class="lane"><div class="label">${esc(channel)} audio (${i === 0 ? "L" : "R"})</div><div class="wave ${channel}" data-channel="${channel}"><div style="position:absolute;left:${num(left)}%;width:${num(width)}%;height:64px">${waveformSvg(pairs, `${channel} waveform`).replace("<svg ", '<svg width="100%" ')}</div></div></div>`,
      );
    });
  }
  return `<div class="lanes" id="timeline" data-axis-start="${num(axis.startMs, 0)}" data-axis-end="${num(axis.endMs, 0)}" data-audio-start="${num(audioStartMs, 0)}">${lanes.join("\n")}<div class="playhead" id="playhead"></div></div>`;
}

/** The user started speaking while this assistant line was still playing (a barge-in). */
function bargedIn(r: SessionRecord, startMs: number, endMs: number): boolean {
  return r.transcript.some(
    (t) => t.role === "user" && Date.parse(t.startedAt) > startMs && Date.parse(t.startedAt) < endMs,
  );
}

function transcriptTable(r: SessionRecord, audioStartMs: number): string {
  if (r.transcript.length === 0) return `<p class="muted">No transcript.</p>`;
  const rows = r.transcript.map((t) => {
    const offset = Math.max(0, (Date.parse(t.startedAt) - audioStartMs) / 1000);
    return `<tr class="transcript-row clickable" data-role="${esc(t.role)}" data-offset="${num(offset, 2)}"><td class="nowrap"><code>${esc(t.startedAt)}</code></td><td class="muted nowrap">+${num(offset, 1)} s</td><td class="role-${esc(t.role)}">${esc(t.role)}</td><td>${esc(t.text)}${t.role === "assistant" && bargedIn(r, Date.parse(t.startedAt), Date.parse(t.endedAt)) ? ` <span class="pill warn">interrupted</span>` : ""}</td></tr>`;
  });
  return `<table id="transcript"><thead><tr><th>Time (UTC)</th><th>Offset</th><th>Speaker</th><th>Text</th></tr></thead><tbody>${rows.join("\n")}</tbody></table>`;
}

function toolTable(r: SessionRecord): string {
  if (r.toolCalls.length === 0) return `<p class="muted">No tool calls.</p>`;
  const rows = r.toolCalls.map(
    (
      t,
    ) => `<tr class="tool-row" data-tool="${esc(t.name)}"><td><strong>${esc(t.name)}</strong><br><code class="muted">${esc(t.id)}</code></td><td class="nowrap"><code>${esc(t.calledAt ?? "-")}</code></td>
<td><pre class="tool-args">${esc(prettyJson(t.arguments))}</pre></td><td><pre class="tool-result">${esc(prettyJson(t.result))}</pre>${t.isError ? ` ${pill("error")}` : ""}<div class="muted">${esc(t.resultAt ?? "no result")}</div></td></tr>`,
  );
  return `<table id="tools"><thead><tr><th>Tool</th><th>Called (UTC)</th><th>Arguments</th><th>Result</th></tr></thead><tbody>${rows.join("\n")}</tbody></table>`;
}

function logTable(r: SessionRecord): string {
  if (r.logs.length === 0) return `<p class="muted">No logs.</p>`;
  const rows = r.logs.map(
    (l) =>
      `<tr class="log-row"><td class="nowrap"><code>${esc(l.time)}</code></td><td>${esc(l.level)}</td><td>${esc(l.message)}</td><td>${l.attributes ? `<code>${esc(JSON.stringify(l.attributes))}</code>` : ""}</td></tr>`,
  );
  return `<table id="logs"><thead><tr><th>Time (UTC)</th><th>Level</th><th>Message</th><th>Attributes</th></tr></thead><tbody>${rows.join("\n")}</tbody></table>`;
}

/** Playhead over the timeline while the recording plays; a transcript row seeks the player. */
export const SCRIPT = `(function(){var a=document.getElementById("player"),tl=document.getElementById("timeline"),ph=document.getElementById("playhead");
if(!a||!tl||!ph)return;var s=+tl.dataset.axisStart,e=+tl.dataset.axisEnd,as=+tl.dataset.audioStart;
function draw(){var f=Math.min(1,Math.max(0,(as+a.currentTime*1000-s)/(e-s)));ph.style.display="block";ph.style.left="calc(130px + (100% - 130px) * "+f+")";}
a.addEventListener("timeupdate",draw);a.addEventListener("seeked",draw);
document.querySelectorAll("tr.transcript-row").forEach(function(r){r.addEventListener("click",function(){a.currentTime=+r.dataset.offset;a.play().catch(function(){});});});})();`;

export function renderCallPage(view: CallView): string {
  const r = view.record;
  const parts = [summary(view)];
  if (!r) {
    parts.push(
      `<section><p class="muted">This session is ${esc(view.status.state)}. Its transcript, recording and trace appear here once it is finalized (closed by the SDK, or after the idle timeout).</p></section>`,
    );
  } else {
    const startMs = Date.parse(r.startedAt);
    const audioStartMs = startMs;
    const ends = [Date.parse(r.endedAt)];
    if (view.waveform) ends.push(audioStartMs + view.waveform.durationSeconds * 1000);
    const axis = createAxis(startMs, Math.max(...ends));
    const player = view.audioUrl
      ? `<audio id="player" controls preload="metadata" src="${esc(view.audioUrl)}"></audio>`
      : `<p class="muted">${r.audio ? "" : "No recording for this call."}</p>`;
    parts.push(
      `<section id="recording"><h2>Timeline and recording</h2>${player}${timeline(view, r, axis, audioStartMs)}</section>`,
    );
    parts.push(`<section><h2>Transcript</h2>${transcriptTable(r, audioStartMs)}</section>`);
    parts.push(`<section><h2>Tool calls</h2>${toolTable(r)}</section>`);
    // The trace keeps its own axis: spans carry the agent's clock, which a replayed or fast demo call compresses.
    const traceAxis = view.spans.length
      ? createAxis(Math.min(...view.spans.map((s) => s.startMs)), Math.max(...view.spans.map((s) => s.endMs)))
      : axis;
    parts.push(
      `<section id="trace"><h2>Trace</h2>${renderAxis(traceAxis)}${renderWaterfall(view.spans, traceAxis)}</section>`,
    );
    parts.push(`<section><h2>Logs</h2>${logTable(r)}</section>`);
    parts.push(
      `<section><h2>Metadata</h2><pre id="metadata">${esc(JSON.stringify(r.metadata, null, 2))}</pre></section>`,
    );
  }
  return page(`Call ${view.status.sessionId}`, parts.join("\n"), r ? SCRIPT : "");
}
