/**
 * The relay under faults: a refused Cekura key never reaches the upstream; an upstream that refuses the
 * handshake is answered to the client as it was; an upstream that drops mid-call closes the client with
 * the same code and reason and the session is finalized with what was heard; a deferred session that is
 * never consented leaves nothing at the Cekura stand-in.
 */
import { expect, it } from "vitest";
import WebSocket from "ws";
import { uniqueId } from "../support/ids.ts";
import { listStoredKeys } from "../support/r2-read.ts";
import { CEKURA_KEY, OPENAI_KEY, sleep, useRelayHarness } from "./support.ts";

const SCRIPT = [
  {
    userTranscript: "Hello there.",
    audio: new Uint8Array(48_000),
    transcript: "Hi, how can I help?",
  },
];

const r = useRelayHarness({ script: SCRIPT }, async () => ({ API_KEY_HASHES: await sha256Hex(CEKURA_KEY) }));

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Buffer.from(digest).toString("hex");
}

/** Opens a ws to the relay; resolves with the socket, or with the HTTP refusal. */
function open(
  headers: Record<string, string>,
): Promise<{ ws?: WebSocket; status?: number; body?: string; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(`${r.relayUrl}?model=gpt-realtime`, { headers });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ ws, closed }));
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode, body, closed }));
    });
    ws.once("error", (e) => reject(e));
  });
}

it("refuses an unknown Cekura key with 401 before anything goes upstream", async () => {
  r.fake.set({ script: SCRIPT });
  const before = r.fake.handshakes;
  const answer = await open({
    Authorization: `Bearer ${OPENAI_KEY}`,
    "X-Cekura-Api-Key": "not-a-known-key",
    "X-Cekura-Agent-Id": "42",
  });
  expect(answer.status).toBe(401);
  expect(JSON.parse(answer.body!)).toMatchObject({ error: "unknown_api_key" });
  const missing = await open({ Authorization: `Bearer ${OPENAI_KEY}`, "X-Cekura-Agent-Id": "42" });
  expect(missing.status).toBe(401);
  const badAgent = await open({
    Authorization: `Bearer ${OPENAI_KEY}`,
    ...r.cekuraHeaders("x", { "X-Cekura-Agent-Id": "abc" }),
  });
  expect(badAgent.status).toBe(400);
  expect(r.fake.handshakes).toBe(before);
});

it("answers the client with the upstream's refusal as it was, and records nothing", async () => {
  r.fake.set({ refuseWith: { status: 401, body: '{"error":{"message":"Incorrect API key provided"}}' } });
  const sessionId = uniqueId("relay-refused");
  const answer = await open({ Authorization: "Bearer sk-wrong", ...r.cekuraHeaders(sessionId) });
  expect(answer.status).toBe(401);
  expect(JSON.parse(answer.body!)).toEqual({ error: { message: "Incorrect API key provided" } });
  expect((await r.status(sessionId)).status).toBe(404);
});

it("closes the client with the upstream's code and reason when it drops mid-call, and finalizes what was heard", async () => {
  r.fake.set({ script: SCRIPT, dropAfter: { frames: 4, code: 4009, reason: "upstream went away" } });
  const sessionId = uniqueId("relay-drop");
  const { ws, closed } = await open({ Authorization: `Bearer ${OPENAI_KEY}`, ...r.cekuraHeaders(sessionId) });
  const audio = Buffer.alloc(4800, 0).toString("base64");
  ws!.send(JSON.stringify({ type: "input_audio_buffer.append", audio }));
  ws!.send(JSON.stringify({ type: "input_audio_buffer.commit" }));
  await sleep(300);
  ws!.send(JSON.stringify({ type: "input_audio_buffer.append", audio }));
  ws!.send(JSON.stringify({ type: "input_audio_buffer.append", audio }));
  expect(await closed).toEqual({ code: 4009, reason: "upstream went away" });
  const record = await r.finalizedRecord(sessionId);
  expect(record.transcript.map((t) => [t.role, t.text])).toEqual([
    ["user", "Hello there."],
    ["assistant", "Hi, how can I help?"],
  ]);
  expect(record.endedReason).toBe("assistant-ended-call");
});

it("leaves nothing behind for a deferred session that is never consented", async () => {
  r.fake.set({ script: SCRIPT });
  const sessionId = uniqueId("relay-deferred");
  const { ws, closed } = await open({
    Authorization: `Bearer ${OPENAI_KEY}`,
    ...r.cekuraHeaders(sessionId, { "X-Cekura-Defer-Upload": "true" }),
  });
  ws!.send(JSON.stringify({ type: "input_audio_buffer.append", audio: Buffer.alloc(48_000, 1).toString("base64") }));
  ws!.send(JSON.stringify({ type: "input_audio_buffer.commit" }));
  await sleep(800);
  ws!.close(1000, "bye");
  await closed;
  const deadline = Date.now() + 30_000;
  let state: unknown;
  while (Date.now() < deadline) {
    const { body } = await r.status(sessionId);
    state = body.state;
    if (state === "discarded" || state === "finalized") break;
    await sleep(200);
  }
  expect(state).toBe("discarded");
  await sleep(500);
  expect(r.h.standIn.received.filter((q) => JSON.stringify(q.body).includes(sessionId))).toEqual([]);
  expect((await listStoredKeys(r.h.worker.persistTo, "")).filter((k) => k.includes(sessionId))).toEqual([]);
});
