/**
 * `@openai/agents-realtime`'s WebSocket transport pointed at the relay with its `url` option; the Cekura
 * headers go through `createWebSocket`, as a Node client passes headers. Only those differ from a direct
 * connection. The call: a function call and its result, then a barge-in (`transport.interrupt()`), which
 * sends `conversation.item.truncate` with the playback position the transport measured. The fake server
 * must receive byte-identical frames in order; the record must hold the transcript, the tool call with its
 * result, both channels with their markers, and nothing of the reply after the truncate's audio_end_ms.
 */
import { expect, it } from "vitest";
import WebSocket from "ws";
import { OpenAIRealtimeWebSocket } from "@openai/agents-realtime";
import { markerSignal } from "../audio/paced-source.ts";
import { rms } from "../audio/signal.ts";
import type { ScriptedResponse } from "../support/fake-realtime.ts";
import { uniqueId } from "../support/ids.ts";
import { burstOnsets, nowMs, OPENAI_KEY, paced, sleep, useRelayHarness } from "./support.ts";

const RATE = 24_000;
const pcm16 = (seconds: number, markers: number[]) => new Uint8Array(markerSignal(RATE, seconds, markers, 2500).buffer);

const SCRIPT: ScriptedResponse[] = [
  {
    userTranscript: "Is my order shipped?",
    audio: pcm16(0.5, [0.2]),
    transcript: "Let me look.",
    functionCall: { name: "order_status", arguments: '{"order":"A17"}' },
    chunkBytes: 9600,
  },
  { audio: pcm16(2.0, [0.3, 1.4]), transcript: "It shipped yesterday and arrives on Monday.", chunkBytes: 9600 },
];
const USER_MARKER_S = 0.35;
const CUT_AFTER_MS = 700;

const r = useRelayHarness({ script: SCRIPT });

it("records an Agents SDK WebSocket-transport call through the relay: tool call + result, a barge-in cut where the transport truncated", async () => {
  const sessionId = uniqueId("relay-agents");
  const sent: string[] = [];
  const got: string[] = [];
  /** Client clock (ms) at which each item's first audio delta arrived: where the transport's playback starts. */
  const firstDelta = new Map<string, number>();
  let socket: WebSocket | undefined;
  const transport = new OpenAIRealtimeWebSocket({
    createWebSocket: async ({ url, apiKey }) => {
      const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${apiKey}`, ...r.cekuraHeaders(sessionId) } });
      const send = ws.send.bind(ws);
      ws.send = ((data: string, ...rest: unknown[]) => {
        sent.push(String(data));
        return (send as (...a: unknown[]) => void)(data, ...rest);
      }) as typeof ws.send;
      // When a delta's bytes reached this process: the TCP chunk's arrival, before ws parses it. Frames of
      // one chunk are handed out in one go, each after the transport handled the ones before it (cold, tens
      // of ms), which the relay cannot see and a player would not wait for.
      let chunkAt = 0;
      ws.once("upgrade", (res) => res.socket.prependListener("data", () => (chunkAt = nowMs())));
      ws.on("message", (data) => {
        const text = data.toString();
        got.push(text);
        const e = JSON.parse(text) as { type?: string; item_id?: string };
        if (e.type === "response.output_audio.delta" && e.item_id && !firstDelta.has(e.item_id))
          firstDelta.set(e.item_id, chunkAt);
      });
      socket = ws;
      return ws as unknown as globalThis.WebSocket;
    },
  });
  const calls: string[] = [];
  transport.on("function_call", async (call) => {
    calls.push(call.name);
    // The tool takes a while: the first reply (0.5 s, handed over at once) has played out by then, so the
    // transport's playback clock (from the item's first delta) and the played queue agree on item_2's start.
    await sleep(700);
    transport.sendFunctionCallOutput(call, '{"status":"shipped"}', true);
  });
  // The only change from a direct connection: `url` (and the headers above).
  await transport.connect({ apiKey: OPENAI_KEY, model: "gpt-realtime", url: `${r.relayUrl}?model=gpt-realtime` });

  // One second of "speech" in 20 ms frames, in real time, then commit.
  const user = pcm16(1.0, [USER_MARKER_S]);
  const frames = [];
  for (let i = 0; i < user.length; i += 960) {
    const chunk = user.slice(i, i + 960).buffer;
    frames.push(() => transport.sendAudio(chunk, {}));
  }
  const userStart = await paced(frames, 20);
  transport.sendEvent({ type: "input_audio_buffer.commit" });

  for (let i = 0; i < 500 && !firstDelta.has("item_2"); i++) await sleep(5);
  const secondStart = firstDelta.get("item_2");
  expect(secondStart, "the second reply (after the function call output) never arrived").toBeDefined();
  expect(calls).toEqual(["order_status"]);
  await sleep(secondStart! + CUT_AFTER_MS - nowMs());
  transport.interrupt(); // a barge-in: the transport truncates at the playback position it measured
  await sleep(600);
  const closed = new Promise<void>((resolve) => socket!.once("close", () => resolve()));
  transport.close();
  await closed;

  const conn = r.fake.connections.at(-1)!;
  for (let i = 0; i < 100 && !conn.closed; i++) await sleep(20);
  expect(conn.received.map((f) => ("text" in f ? f.text : "<binary>"))).toEqual(sent);
  expect(got).toEqual(conn.sent.map((f) => ("text" in f ? f.text : "<binary>")));
  expect(conn.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
  expect(Object.keys(conn.headers).filter((k) => k.startsWith("x-cekura"))).toEqual([]);
  expect(conn.truncations).toHaveLength(1);
  const { item_id, audio_end_ms: cutMs } = conn.truncations[0]!;
  expect(item_id).toBe("item_2");
  expect(Math.abs(cutMs - CUT_AFTER_MS)).toBeLessThan(100);

  const record = await r.finalizedRecord(sessionId);
  expect(record.transcript.map((t) => [t.role, t.text])).toEqual([
    ["user", "Is my order shipped?"],
    ["assistant", "Let me look."],
    ["assistant", "It shipped yesterday and arrives on Monday."],
  ]);
  expect(record.toolCalls).toMatchObject([
    { id: "call_1", name: "order_status", arguments: '{"order":"A17"}', result: '{"status":"shipped"}' },
  ]);
  expect(JSON.stringify(record)).not.toContain(OPENAI_KEY);

  // Audio, anchored on the user's marker. Alone or beside the other relay tests the error is within 17 ms;
  // inside the whole suite on two cores the Agents SDK's own handling of a chunk (before this test sees it)
  // once added 30 ms, so the bound here is 40 ms. raw-ws-mulaw and openai-node-client hold 20 ms.
  const { left, right, rate } = await r.stereo(record);
  const userMarkers = burstOnsets(left, rate);
  expect(userMarkers).toHaveLength(1);
  const offset = userMarkers[0]! - (userStart / 1000 + USER_MARKER_S);
  const expected = [firstDelta.get("item_1")! / 1000 + 0.2, secondStart! / 1000 + 0.3];
  const agentMarkers = burstOnsets(right, rate);
  expect(agentMarkers, "assistant markers (the one after the cut must be absent)").toHaveLength(2);
  for (let i = 0; i < 2; i++)
    expect(
      Math.abs(agentMarkers[i]! - offset - expected[i]!) * 1000,
      `assistant marker ${i} off by (ms)`,
    ).toBeLessThanOrEqual(40);
  // The cut, from the second reply's own start (its marker is 0.3 s in): sound until audio_end_ms, then none.
  const cut = Math.round((agentMarkers[1]! - 0.3 + cutMs / 1000) * rate);
  expect(rms(right, cut - Math.round(0.3 * rate), cut - Math.round(0.03 * rate))).toBeGreaterThan(1000);
  const after = right.subarray(cut + Math.round(0.03 * rate), cut + Math.round(1.3 * rate));
  expect(after.reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBeLessThan(200);

  await r.h.standIn.waitFor((received) => received.some((q) => JSON.stringify(q.body).includes(sessionId)), 30_000);
}, 90_000);
