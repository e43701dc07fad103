/**
 * Plays generated operations against the real Worker (on workerd, over 127.0.0.1) for one fresh session, remembers what
 * the Worker acknowledged, then checks the property: no answer was a 5xx, the session still answers
 * status, and it can be finalized with everything it acknowledged present in the record (or, when it was
 * aborted or discarded, nothing at all is left to read).
 */
import { expect } from "vitest";
import { SESSION_PLACEHOLDER, TRACE_PLACEHOLDERS, type Op } from "./arbitraries.ts";

const KEY = "fuzz-key";

/** Requests sent by ops (the generated inputs), across a test file. */
export const counter = { inputs: 0 };

interface Acked {
  transcripts: { role: string; text: string }[];
  logs: string[];
  toolCalls: string[];
  /** Audio chunk seq -> PCM bytes acknowledged. */
  audio: Map<number, number>;
  audioAckedThrough: number;
  /** An abort was acknowledged: nothing may be left. */
  aborted: boolean;
  /** An erasure was acknowledged: nothing may be left but its tombstone. */
  erased: boolean;
}

async function gzip(text: string): Promise<Uint8Array> {
  return new Uint8Array(
    await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
  );
}

function pcm(bytes: number, fill: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (fill + i * 7) & 0xff;
  return out;
}

/** Where the Worker listens (set by the property before it plays sessions). */
export const target = { url: "" };

async function send(
  method: string,
  path: string,
  body: BodyInit | null,
  headers: Record<string, string>,
): Promise<Response> {
  return fetch(`${target.url}${path}`, { method, headers: { authorization: `Bearer ${KEY}`, ...headers }, body });
}

/** The answer must never be a server error; the response text is kept in the message for the report. */
async function expectNo5xx(what: string, res: Response): Promise<unknown> {
  const text = await res.text();
  expect(res.status, `${what} answered ${res.status}: ${text.slice(0, 400)}`).toBeLessThan(500);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function play(id: string, op: Op, acked: Acked): Promise<void> {
  counter.inputs++;
  if (op.kind === "fragment") {
    const json = op.encoding === "raw" ? (op.raw ?? "") : JSON.stringify(op.body);
    const headers: Record<string, string> = op.contentType ? { "content-type": op.contentType } : {};
    const body = op.encoding === "gzip" ? await gzip(json) : json;
    if (op.encoding === "gzip") headers["content-encoding"] = "gzip";
    const res = await send("POST", `/v1/sessions/${id}/fragments`, body as BodyInit, headers);
    const status = res.status;
    await expectNo5xx(`fragment ${json.slice(0, 300)}`, res);
    if (status === 200 && op.encoding !== "raw") {
      for (const e of (op.body as { events: Record<string, unknown>[] }).events) {
        if (e.kind === "transcript") acked.transcripts.push({ role: e.role as string, text: e.text as string });
        if (e.kind === "log") acked.logs.push(e.message as string);
        if (e.kind === "tool_call") acked.toolCalls.push(e.id as string);
      }
    }
  } else if (op.kind === "audio") {
    const res = await send("PUT", `/v1/sessions/${id}/audio/${op.seq}`, pcm(op.bytes, op.fill), op.headers);
    const status = res.status;
    const answer = (await expectNo5xx(`audio ${op.seq} ${JSON.stringify(op.headers)} ${op.bytes} bytes`, res)) as {
      ackedThrough?: number;
    };
    if (status === 200) {
      acked.audio.set(Number(op.seq), op.bytes);
      acked.audioAckedThrough = Math.max(acked.audioAckedThrough, answer.ackedThrough ?? -1);
    }
  } else if (op.kind === "control" && op.route === "erase") {
    const res = await send("DELETE", `/v1/sessions/${id}`, null, {});
    const status = res.status;
    await expectNo5xx("erase", res);
    if (status === 200) acked.erased = true;
  } else if (op.kind === "control") {
    const headers: Record<string, string> = op.contentType ? { "content-type": op.contentType } : {};
    const res = await send("POST", `/v1/sessions/${id}/${op.route}`, op.body, headers);
    const status = res.status;
    await expectNo5xx(`${op.route} ${String(op.body).slice(0, 300)}`, res);
    if (status === 200 && op.route === "abort") acked.aborted = true;
  } else {
    const json = JSON.stringify(op.body);
    const headers = { ...op.headers };
    const body = op.gzip ? await gzip(json) : json;
    if (op.gzip) headers["content-encoding"] = "gzip";
    await expectNo5xx(`OTLP ${json.slice(0, 300)}`, await send("POST", "/v1/traces", body as BodyInit, headers));
  }
}

interface Status {
  state: string;
  consent: string;
  counts: { ackedThrough: number };
  forward: { status: string; lastError: string | null };
}

async function status(id: string): Promise<{ code: number; body: Status }> {
  const res = await send("GET", `/v1/sessions/${id}`, null, {});
  const code = res.status;
  return { code, body: (await expectNo5xx("status", res)) as Status };
}

const randomHex = (bytes: number) =>
  [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");

/** The operations with the placeholders replaced by a fresh session id and fresh trace ids. */
function withFreshIds(generated: Op[], id: string): Op[] {
  let json = JSON.stringify(generated).replaceAll(SESSION_PLACEHOLDER, id);
  for (const placeholder of TRACE_PLACEHOLDERS) json = json.replaceAll(placeholder, randomHex(16));
  return JSON.parse(json) as Op[];
}

/** Plays `generated` on a fresh session, then finalizes it and checks what it acknowledged. */
export async function runSession(generated: Op[]): Promise<void> {
  const id = `fz-${crypto.randomUUID()}`;
  const ops = withFreshIds(generated, id);
  const acked: Acked = {
    transcripts: [],
    logs: [],
    toolCalls: [],
    audio: new Map(),
    audioAckedThrough: -1,
    aborted: false,
    erased: false,
  };
  // Operations marked withPrevious go out together with the one before them, racing inside the session.
  for (let i = 0; i < ops.length; ) {
    let end = i + 1;
    while (end < ops.length && ops[end]!.withPrevious) end++;
    await Promise.all(ops.slice(i, end).map((op) => play(id, op, acked)));
    i = end;
  }

  let { code, body: s } = await status(id);
  const ackedSomething = acked.transcripts.length + acked.logs.length + acked.toolCalls.length + acked.audio.size > 0;
  if (code === 404) {
    expect(ackedSomething, "a session that acknowledged data must answer status").toBe(false);
    return;
  }
  expect(code).toBe(200);
  if (s.state === "aborted" || s.state === "discarded" || s.state === "erased") return expectNothingReadable(id);
  expect(acked.aborted, "an acknowledged abort leaves an aborted session").toBe(false);
  expect(acked.erased, "an acknowledged erasure leaves an erased session").toBe(false);

  // Finalize: grant consent if still deferred (so the data is kept), then close with what was acknowledged.
  if (s.consent === "deferred" && s.state === "open")
    await expectNo5xx(
      "consent at the end",
      await send("POST", `/v1/sessions/${id}/consent`, "{}", { "content-type": "application/json" }),
    );
  if (s.state === "open") {
    const close = { lastSeq: s.counts.ackedThrough, lastAudioSeq: acked.audioAckedThrough, reason: "fuzz-end" };
    await expectNo5xx(
      `close at the end ${JSON.stringify(close)}`,
      await send("POST", `/v1/sessions/${id}/close`, JSON.stringify(close), { "content-type": "application/json" }),
    );
  }
  for (let i = 0; i < 100 && (s.state === "open" || s.state === "closing"); i++) {
    await new Promise((r) => setTimeout(r, 30));
    s = (await status(id)).body;
  }
  if (s.state === "discarded") return expectNothingReadable(id);
  expect(s.state, "the session can be finalized").toBe("finalized");

  const recordRes = await send("GET", `/v1/sessions/${id}/record`, null, {});
  expect(recordRes.status, "the finalized record is readable").toBe(200);
  const record = (await recordRes.json()) as {
    transcript: { role: string; text: string }[];
    logs: { message: string }[];
    toolCalls: { id: string }[];
    audio: { bytes: number } | null;
    consent: { audioDropped: string | null };
  };
  for (const t of acked.transcripts)
    expect(
      record.transcript.some((r) => r.role === t.role && r.text === t.text),
      `transcript "${t.text.slice(0, 40)}" is in the record`,
    ).toBe(true);
  for (const m of acked.logs)
    expect(
      record.logs.some((l) => l.message === m),
      `log "${m.slice(0, 40)}" is in the record`,
    ).toBe(true);
  for (const c of acked.toolCalls)
    expect(
      record.toolCalls.some((t) => t.id === c),
      `tool call ${c} is in the record`,
    ).toBe(true);
  if (acked.audio.size > 0 && record.consent.audioDropped === null) {
    const pcmBytes = [...acked.audio.values()].reduce((a, b) => a + b, 0);
    expect(record.audio, "acknowledged audio has a recording").not.toBeNull();
    expect(record.audio!.bytes, "every acknowledged audio byte is in the recording").toBeGreaterThanOrEqual(
      44 + pcmBytes,
    );
  }
  await expectNo5xx("inspector page", await send("GET", `/inspect/${id}`, null, {}));
  await expectNo5xx("stored spans", await send("GET", `/v1/traces/${id}`, null, {}));

  // The Cekura stand-in refuses what breaks Cekura's contract (a 4xx the Worker dead-letters).
  for (let i = 0; i < 200 && s.forward.status === "pending"; i++) {
    await new Promise((r) => setTimeout(r, 25));
    s = (await status(id)).body;
  }
  expect(s.forward.status, `the record was delivered to Cekura's stand-in (${s.forward.lastError})`).toBe("delivered");
}

async function expectNothingReadable(id: string): Promise<void> {
  const record = await send("GET", `/v1/sessions/${id}/record`, null, {});
  await expectNo5xx("record of a destroyed session", record);
  expect(record.status).not.toBe(200);
  await expectNo5xx("inspector page of a destroyed session", await send("GET", `/inspect/${id}`, null, {}));
  const spans = await send("GET", `/v1/traces/${id}`, null, {});
  const text = JSON.stringify(await expectNo5xx("spans of a destroyed session", spans));
  expect(text.includes("spanId"), `a destroyed session holds no spans: ${text.slice(0, 300)}`).toBe(false);
}
