/** Reads what the Worker holds for a session (status, finalized record) with plain fetch. */
import { ok, UTC_MS } from "./assert.ts";
import type { CaseContext } from "./types.ts";

// Loose on purpose: the record is read, and checked, as the wire JSON.
export interface WireRecord {
  sessionId: string;
  agentId: number;
  mode: string;
  transcript: { role: string; text: string; startedAt: string; endedAt: string }[];
  toolCalls: {
    id: string;
    name: string;
    arguments: string | null;
    result: string | null;
    isError: boolean | null;
    calledAt: string | null;
    resultAt: string | null;
  }[];
  logs: { level: string; message: string; time: string; attributes?: Record<string, unknown> }[];
  metadata: Record<string, unknown>;
  fragments: { received: number; lastSeq: number; missing: number[] };
  [more: string]: unknown;
}

async function getJson(ctx: CaseContext, path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${ctx.ingestUrl}${path}`, { headers: { authorization: `Bearer ${ctx.apiKey}` } });
  const body = (response.headers.get("content-type") ?? "").includes("json")
    ? await response.json()
    : await response.text();
  return { status: response.status, body };
}

export async function getRecord(ctx: CaseContext, sessionId: string): Promise<WireRecord> {
  const { status, body } = await getJson(ctx, `/v1/sessions/${encodeURIComponent(sessionId)}/record`);
  ok(status === 200, `GET record of ${sessionId}: expected 200, got ${status} ${JSON.stringify(body)}`);
  return body as WireRecord;
}

/** The record's transcript lines, in order. */
export const transcriptTexts = (record: WireRecord) => record.transcript.map((t) => t.text);

export async function getStatus(
  ctx: CaseContext,
  sessionId: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await getJson(ctx, `/v1/sessions/${encodeURIComponent(sessionId)}`);
  return { status: r.status, body: r.body as Record<string, unknown> };
}

/** Every timestamp in the record is UTC with ms; tool calls are paired; no fragment is missing. */
export function checkRecordShape(record: WireRecord): void {
  for (const t of record.transcript)
    ok(UTC_MS.test(t.startedAt) && UTC_MS.test(t.endedAt), `transcript times must be UTC ms: ${JSON.stringify(t)}`);
  for (const l of record.logs) ok(UTC_MS.test(l.time), `log time must be UTC ms: ${JSON.stringify(l)}`);
  for (const c of record.toolCalls) {
    ok(
      c.arguments !== null && c.result !== null,
      `tool call ${c.id} must be paired with its result: ${JSON.stringify(c)}`,
    );
    ok(
      UTC_MS.test(c.calledAt ?? "") && UTC_MS.test(c.resultAt ?? ""),
      `tool call times must be UTC ms: ${JSON.stringify(c)}`,
    );
  }
  ok(record.fragments.missing.length === 0, `no fragment may be missing: ${JSON.stringify(record.fragments)}`);
}

export const sid = (ctx: CaseContext, name: string) => `${ctx.runtime}-${name}-${ctx.uid}`.slice(0, 100);
