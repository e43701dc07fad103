/**
 * The official `openai` package's realtime WebSocket client (OpenAIRealtimeWS), pointed at the relay by
 * its `baseURL` (plus the X-Cekura-* headers): pcm16 at 24 kHz, a function call and its result. The
 * client always speaks wss://, so a TLS front with a throwaway certificate stands before the local Worker.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import OpenAI from "openai";
import { OpenAIRealtimeWS } from "openai/realtime/ws";
import type { ScriptedResponse } from "../support/fake-realtime.ts";
import { startTlsFront, type TlsFront } from "../support/fake-realtime-tls.ts";
import { uniqueId } from "../support/ids.ts";
import { burstOnsets, ClientPlayback, nowMs, OPENAI_KEY, paced, sleep, useRelayHarness } from "./support.ts";

const RATE = 24_000;
/** Quiet tone with loud bursts at `markers` (s), as pcm16 s16le bytes at 24 kHz. */
function speech(seconds: number, markers: number[], hz: number): Uint8Array {
  const pcm = new Int16Array(Math.round(seconds * RATE));
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(3000 * Math.sin((2 * Math.PI * hz * i) / RATE));
  for (const m of markers)
    for (let i = Math.round(m * RATE); i < Math.min(pcm.length, Math.round((m + 0.06) * RATE)); i++)
      pcm[i] = Math.round(16000 * Math.sin((2 * Math.PI * 1000 * i) / RATE + Math.PI / 2));
  return new Uint8Array(pcm.buffer);
}

const SCRIPT: ScriptedResponse[] = [
  {
    userTranscript: "Book a table for two.",
    audio: speech(0.8, [0.25], 300),
    transcript: "Checking availability.",
    functionCall: { name: "book_table", arguments: '{"people":2}' },
    chunkBytes: 9600,
  },
  { audio: speech(1.0, [0.5], 300), transcript: "Your table is booked for seven.", chunkBytes: 9600 },
];

const r = useRelayHarness({ script: SCRIPT });
let tls: TlsFront;
beforeAll(async () => {
  tls = await startTlsFront(r.h.worker.port);
});
afterAll(async () => {
  await tls?.stop();
});

it("records a call made with the openai package's OpenAIRealtimeWS through the relay, frames unchanged", async () => {
  const sessionId = uniqueId("relay-openai");
  // The only changes from a direct connection: baseURL, and the Cekura headers.
  const client = new OpenAI({ apiKey: OPENAI_KEY, baseURL: `${tls.url}/v1/relay/openai` });
  const rt = new OpenAIRealtimeWS(
    { model: "gpt-realtime", options: { headers: r.cekuraHeaders(sessionId), rejectUnauthorized: false } },
    client,
  );
  const sent: string[] = [];
  const send = (event: Parameters<OpenAIRealtimeWS["send"]>[0]) => {
    sent.push(JSON.stringify(event));
    rt.send(event);
  };
  const got: string[] = [];
  const playback = new ClientPlayback();
  rt.socket.on("message", (data) => got.push(data.toString()));
  rt.on("response.output_audio.delta", (e) =>
    playback.received(e.item_id, Buffer.from(e.delta, "base64").length / 48, nowMs()),
  );
  let done = 0;
  rt.on("response.done", () => done++);
  rt.on("response.function_call_arguments.done", (e) => {
    send({
      type: "conversation.item.create",
      item: { type: "function_call_output", call_id: e.call_id, output: '{"booked":true}' },
    });
    send({ type: "response.create" });
  });
  await new Promise((resolve, reject) => (rt.socket.once("open", resolve), rt.socket.once("error", reject)));

  send({ type: "session.update", session: { type: "realtime", audio: { output: { voice: "cedar" } } } });
  const user = speech(1.0, [0.3], 200);
  const frames = [];
  for (let i = 0; i < user.length; i += 960)
    frames.push(() =>
      send({ type: "input_audio_buffer.append", audio: Buffer.from(user.subarray(i, i + 960)).toString("base64") }),
    );
  const userStart = await paced(frames, 20);
  send({ type: "input_audio_buffer.commit" });
  for (let i = 0; i < 750 && done < 2; i++) await sleep(20);
  expect(done).toBe(2);
  await sleep(2000); // both replies play out
  const closed = new Promise<void>((resolve) => rt.socket.once("close", () => resolve()));
  rt.close({ code: 1000, reason: "done" });
  await closed;

  const conn = r.fake.connections.at(-1)!;
  for (let i = 0; i < 100 && !conn.closed; i++) await sleep(20);
  expect(conn.received.map((f) => ("text" in f ? f.text : "<binary>"))).toEqual(sent);
  expect(got).toEqual(conn.sent.map((f) => ("text" in f ? f.text : "<binary>")));
  expect(conn.closed).toEqual({ code: 1000, reason: "done" });
  expect(conn.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);

  const record = await r.finalizedRecord(sessionId);
  expect(record.transcript.map((t) => [t.role, t.text])).toEqual([
    ["user", "Book a table for two."],
    ["assistant", "Checking availability."],
    ["assistant", "Your table is booked for seven."],
  ]);
  expect(record.toolCalls).toMatchObject([
    { name: "book_table", arguments: '{"people":2}', result: '{"booked":true}' },
  ]);
  expect(record.metadata.openai_realtime).toMatchObject({
    model: "gpt-realtime",
    voice: "cedar",
    input_audio_format: "pcm16",
  });

  const { left, right, rate } = await r.stereo(record);
  const userMarkers = burstOnsets(left, rate);
  expect(userMarkers).toHaveLength(1);
  const offset = userMarkers[0]! - (userStart / 1000 + 0.3);
  const expected = [playback.starts.get("item_1")! / 1000 + 0.25, playback.starts.get("item_2")! / 1000 + 0.5];
  const agentMarkers = burstOnsets(right, rate);
  expect(agentMarkers).toHaveLength(2);
  // Within the assistant channel (one clock): the replies' markers are where the client played them, to 20 ms.
  const spacing = agentMarkers[1]! - agentMarkers[0]!;
  expect(Math.abs(spacing - (expected[1]! - expected[0]!)) * 1000, "reply spacing off by (ms)").toBeLessThanOrEqual(20);
  // Across channels (user marker to each reply's marker), to 20 ms: the relay cannot see the client's
  // network delay, so the record is off by the client-relay round trip; here that is loopback through the
  // TLS front (with Nagle on its sockets it was a constant 64 ms, the delayed ACK).
  for (let i = 0; i < 2; i++)
    expect(
      Math.abs(agentMarkers[i]! - offset - expected[i]!) * 1000,
      `assistant marker ${i} off by (ms)`,
    ).toBeLessThanOrEqual(20);
  await r.h.standIn.waitFor((received) => received.some((q) => JSON.stringify(q.body).includes(sessionId)), 30_000);
}, 90_000);
