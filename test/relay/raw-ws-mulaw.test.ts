/**
 * A raw `ws` client speaking G.711 μ-law to OpenAI Realtime, pointed at the relay instead (only the URL
 * and X-Cekura-* headers differ from a direct connection). The fake server must receive byte-identical
 * frames in order; the finalized record must hold the transcript, the tool call with its result, both
 * channels with markers within 20 ms, and not the part of the reply the client cut off.
 */
import { expect, it } from "vitest";
import WebSocket from "ws";
import { encodeMulaw, utterance } from "../adapters/twilio-codec.ts";
import { onset, rms } from "../audio/signal.ts";
import type { ScriptedResponse } from "../support/fake-realtime.ts";
import { uniqueId } from "../support/ids.ts";
import { burstOnsets, ClientPlayback, nowMs, OPENAI_KEY, paced, sleep, useRelayHarness } from "./support.ts";

const SCRIPT: ScriptedResponse[] = [
  {
    userTranscript: "What's the weather in Paris?",
    audio: encodeMulaw(utterance(1.0, [0.3], 300, 1000)),
    transcript: "Let me check the weather in Paris.",
    functionCall: { name: "get_weather", arguments: '{"city":"Paris"}' },
    usage: { input_tokens: 111, output_tokens: 22, total_tokens: 133 },
    chunkBytes: 800,
  },
  {
    audio: encodeMulaw(utterance(2.0, [0.2, 1.2], 300, 1000)),
    transcript: "It is twenty degrees and sunny in Paris today.",
    usage: { input_tokens: 150, output_tokens: 40, total_tokens: 190 },
    chunkBytes: 800,
  },
];
const USER_MARKER_S = 0.4;
const CUT_AT_MS = 600;

const r = useRelayHarness({ script: SCRIPT });

it("relays a raw ws μ-law call byte for byte and records it: transcript, tool call + result, both channels within 20 ms, the cut reply absent", async () => {
  const sessionId = uniqueId("relay-raw");
  const ws = new WebSocket(`${r.relayUrl}?model=gpt-realtime`, {
    headers: { Authorization: `Bearer ${OPENAI_KEY}`, ...r.cekuraHeaders(sessionId) },
  });
  const sent: Array<string | Buffer> = [];
  const got: Array<string | Buffer> = [];
  const playback = new ClientPlayback();
  const send = (data: string | Buffer) => {
    sent.push(data);
    ws.send(data);
  };
  let upgradeSessionId: string | undefined;
  ws.on("upgrade", (res) => (upgradeSessionId = String(res.headers["x-cekura-session-id"])));
  const events: Array<Record<string, unknown>> = [];
  ws.on("message", (data, isBinary) => {
    const now = nowMs();
    if (isBinary) return void got.push(Buffer.from(data as Buffer));
    const text = data.toString();
    got.push(text);
    const e = JSON.parse(text) as Record<string, unknown>;
    events.push(e);
    if (e.type === "response.output_audio.delta")
      playback.received(String(e.item_id), Buffer.from(String(e.delta), "base64").length / 8, now);
    if (e.type === "response.function_call_arguments.done") {
      send(
        JSON.stringify({
          type: "conversation.item.create",
          item: { type: "function_call_output", call_id: e.call_id, output: '{"temperature_c":20,"sky":"sunny"}' },
        }),
      );
      send(JSON.stringify({ type: "response.create" }));
    }
  });
  await new Promise((resolve, reject) => (ws.once("open", resolve), ws.once("error", reject)));
  expect(upgradeSessionId).toBe(sessionId);

  send(Buffer.from([1, 2, 3, 255])); // a binary frame: relayed as it is (the fake keeps it)
  send(
    JSON.stringify({
      type: "session.update",
      session: {
        type: "realtime",
        audio: {
          input: { format: { type: "audio/pcmu" }, transcription: { model: "gpt-4o-transcribe" } },
          output: { format: { type: "audio/pcmu" }, voice: "marin" },
        },
        tools: [{ type: "function", name: "get_weather", parameters: { type: "object" } }],
      },
    }),
  );
  // One second of "speech" in 20 ms frames, in real time, then commit.
  const user = encodeMulaw(utterance(1.0, [USER_MARKER_S], 200, 700));
  const frames = [];
  for (let i = 0; i < user.length; i += 160) {
    const audio = Buffer.from(user.subarray(i, i + 160)).toString("base64");
    frames.push(() => send(JSON.stringify({ type: "input_audio_buffer.append", audio })));
  }
  const userStart = await paced(frames, 20);
  send(JSON.stringify({ type: "input_audio_buffer.commit" }));

  // Barge in 600 ms into the second reply's playback.
  const deadline = Date.now() + 10_000;
  while (!playback.starts.has("item_2") && Date.now() < deadline) await sleep(5);
  const secondStart = playback.starts.get("item_2")!;
  expect(secondStart).toBeDefined();
  await sleep(secondStart + CUT_AT_MS - nowMs());
  send(
    JSON.stringify({
      type: "conversation.item.truncate",
      item_id: "item_2",
      content_index: 0,
      audio_end_ms: CUT_AT_MS,
    }),
  );
  await sleep(700);
  const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
  ws.close(4000, "bye");
  await closed;

  // The fake received exactly what the client sent, in order; the client exactly what the fake sent.
  const conn = r.fake.connections.at(-1)!;
  await (async () => {
    for (let i = 0; i < 100 && !conn.closed; i++) await sleep(20);
  })();
  expect(conn.received.map((f) => ("text" in f ? f.text : f.binary))).toEqual(sent);
  expect(got).toEqual(conn.sent.map((f) => ("text" in f ? f.text : f.binary)));
  expect(conn.closed).toEqual({ code: 4000, reason: "bye" });
  expect(conn.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
  expect(Object.keys(conn.headers).filter((k) => k.startsWith("x-cekura"))).toEqual([]);
  expect(conn.url).toBe("/v1/realtime?model=gpt-realtime");

  const record = await r.finalizedRecord(sessionId);
  expect(record.transcript.map((t) => [t.role, t.text])).toEqual([
    ["user", "What's the weather in Paris?"],
    ["assistant", "Let me check the weather in Paris."],
    ["assistant", "It is twenty degrees and sunny in Paris today."],
  ]);
  expect(record.toolCalls).toMatchObject([
    { id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}', result: '{"temperature_c":20,"sky":"sunny"}' },
  ]);
  expect(record.metadata.openai_realtime).toMatchObject({
    model: "gpt-realtime",
    voice: "marin",
    input_audio_format: "g711_ulaw",
    output_audio_format: "g711_ulaw",
    tools: ["get_weather"],
  });
  expect(JSON.stringify(record)).not.toContain(OPENAI_KEY);

  // Audio: the anchor is the user's marker (the client's clock and the relay's differ by a constant).
  const { left, right, rate } = await r.stereo(record);
  const userMarkers = burstOnsets(left, rate);
  expect(userMarkers).toHaveLength(1);
  const offset = userMarkers[0]! - (userStart / 1000 + USER_MARKER_S);
  const expected = [playback.starts.get("item_1")! / 1000 + 0.3, secondStart / 1000 + 0.2];
  const agentMarkers = burstOnsets(right, rate);
  expect(agentMarkers, "assistant markers (the one after the cut must be absent)").toHaveLength(2);
  for (let i = 0; i < 2; i++) {
    expect(
      Math.abs(agentMarkers[i]! - offset - expected[i]!) * 1000,
      `assistant marker ${i} off by (ms)`,
    ).toBeLessThanOrEqual(20);
  }
  for (const m of userMarkers)
    expect(onset(right, 10_000, Math.round((m - 0.05) * rate), Math.round((m + 0.05) * rate))).toBe(-1);
  // The reply played until the cut, then nothing: the cut part (with its marker at 1.2 s) is not there.
  const cut = Math.round((offset + secondStart / 1000 + CUT_AT_MS / 1000) * rate);
  expect(rms(right, cut - Math.round(0.3 * rate), cut - Math.round(0.03 * rate))).toBeGreaterThan(1000);
  // Nothing after the cut (the recording may simply end there: nothing played later).
  const after = right.subarray(cut + Math.round(0.03 * rate), cut + Math.round(1.3 * rate));
  expect(after.reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBeLessThan(200);

  // The call reaches the Cekura stand-in.
  await r.h.standIn.waitFor((received) => received.some((q) => JSON.stringify(q.body).includes(sessionId)), 30_000);
}, 90_000);
