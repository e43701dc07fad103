/**
 * The relay against a hostile client and a misbehaving upstream: binary garbage, invalid JSON and
 * malformed events are relayed unchanged and never break the recording; a frame over the 32 MiB message
 * limit closes both sides with 1009; a client that leaves mid-handshake, an upstream that resets or never
 * answers the handshake, and an upstream that goes silent mid-call all end with a clear answer (no 500),
 * the other side closed, and the session finalized when one was opened.
 */
import { connect } from "node:net";
import { expect, it } from "vitest";
import WebSocket from "ws";
import { uniqueId } from "../support/ids.ts";
import { CEKURA_KEY, OPENAI_KEY, sleep, useRelayHarness } from "./support.ts";

const r = useRelayHarness({ script: [] }, { RELAY_CONNECT_TIMEOUT_SECONDS: "2" });

interface Opened {
  ws: WebSocket;
  got: Array<string | Buffer>;
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a ws to the relay: the socket, or the HTTP refusal's status and JSON body. */
function open(sessionId: string): Promise<Opened | { status: number; body: Record<string, unknown> }> {
  const ws = new WebSocket(`${r.relayUrl}?model=gpt-realtime`, {
    headers: { Authorization: `Bearer ${OPENAI_KEY}`, ...r.cekuraHeaders(sessionId) },
    maxPayload: 64 << 20,
  });
  const got: Array<string | Buffer> = [];
  ws.on("message", (data, isBinary) => got.push(isBinary ? Buffer.from(data as Buffer) : data.toString()));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on("error", () => {});
  return new Promise((resolve) => {
    ws.once("open", () => resolve({ ws, got, closed }));
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) }));
    });
  });
}

async function opened(sessionId: string): Promise<Opened> {
  const answer = await open(sessionId);
  if (!("ws" in answer)) throw new Error(`relay refused: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer;
}

async function until<T>(read: () => T | Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await sleep(100);
  }
}

/** A relayed call under a fresh session id, with the index of its upstream connection at the fake. */
async function call(prefix: string): Promise<{ sessionId: string; before: number; c: Opened }> {
  const sessionId = uniqueId(prefix);
  const before = r.fake.connections.length;
  return { sessionId, before, c: await opened(sessionId) };
}

/** The recording errors the finalized record reports (its one warn log at close). */
const recordingErrors = async (sessionId: string) =>
  (await r.finalizedRecord(sessionId)).logs.find((l) => l.message === "relay recording errors")?.attributes;

const state = async (sessionId: string) => (await r.status(sessionId)).body.state;
const received = (i: number) =>
  r.fake.connections[i]!.received.map((f) => ("text" in f ? f.text : Buffer.from(f.binary)));

/** A raw upgrade request to the relay, written on a plain TCP socket (so the test can leave half-way). */
function upgradeRequest(sessionId: string): string {
  return [
    "GET /v1/relay/openai/realtime?model=gpt-realtime HTTP/1.1",
    `Host: ${new URL(r.h.worker.url).host}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13",
    `Authorization: Bearer ${OPENAI_KEY}`,
    `X-Cekura-Api-Key: ${CEKURA_KEY}`,
    "X-Cekura-Agent-Id: 42",
    `X-Cekura-Session-Id: ${sessionId}`,
    "",
    "",
  ].join("\r\n");
}

it("relays binary garbage, invalid JSON and malformed events unchanged and in order, and still records and finalizes", async () => {
  r.fake.set({ script: [{ audio: new Uint8Array(9600), transcript: "Still here.", userTranscript: "Hello?" }] });
  const { sessionId, before, c } = await call("relay-garbage");
  const frames: Array<string | Buffer> = [
    "not json",
    "{bad",
    "[]",
    "null",
    "",
    "\u{1F600}".repeat(1000),
    Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x7b]),
    Buffer.alloc(0),
    '{"type":"input_audio_buffer.append","audio":"!!!! not base64 !!!!"}',
    '{"type":"input_audio_buffer.append","audio":42}',
    '{"type":"conversation.item.truncate","item_id":{"x":1},"audio_end_ms":1e308}',
    '{"type":"conversation.item.create","item":{"type":"function_call_output","call_id":null,"output":{"deep":[[[[1]]]]}}}',
    '{"type":"session.update","session":{"tools":[null,1,"x",{"name":7}],"audio":{"input":{"format":7}},"model":[]}}',
    `{"type":"input_audio_buffer.append","audio":"${Buffer.alloc(4800, 1).toString("base64")}"}`,
    '{"type":"input_audio_buffer.commit"}',
  ];
  for (const f of frames) c.ws.send(f);
  // The scripted reply comes back after the commit: the relay still works both ways.
  await until(
    () => c.got.filter((m) => typeof m === "string" && m.includes("response.done")).length,
    (n) => n === 1,
  );
  c.ws.close(1000, "bye");
  expect(await c.closed).toEqual({ code: 1000, reason: "bye" });

  expect(received(before)).toEqual(frames);
  const conn = r.fake.connections[before]!;
  expect(c.got).toEqual(conn.sent.map((f) => ("text" in f ? f.text : f.binary)));
  expect(await until(() => conn.closed, Boolean)).toEqual({ code: 1000, reason: "bye" });

  expect((await r.finalizedRecord(sessionId)).transcript.map((t) => [t.role, t.text])).toEqual([
    ["user", "Hello?"],
    ["assistant", "Still here."],
  ]);
  // The undecodable audio was a recording error: counted and logged, the relay went on.
  expect(await recordingErrors(sessionId)).toEqual({ count: 1 });
}, 60_000);

it("relays big frames unchanged and records around a text frame too large to record", async () => {
  const { sessionId, before, c } = await call("relay-big");
  const big = Buffer.alloc(8 << 20, 0x5a);
  // 4 MiB of base64 (65 s of audio in one append): relayed, not recorded (MAX_RECORDED_FRAME).
  const bigText = `{"type":"input_audio_buffer.append","audio":"${Buffer.alloc(3 << 20, 9).toString("base64")}"}`;
  c.ws.send(big);
  c.ws.send(bigText);
  c.ws.send('{"type":"response.create"}');
  const conn = await until(
    () => r.fake.connections[before],
    (x) => x?.received.length === 3,
  );
  c.ws.close(1000, "done");
  expect(await c.closed).toEqual({ code: 1000, reason: "done" });
  expect(Buffer.compare((conn!.received[0] as { binary: Buffer }).binary, big)).toBe(0);
  expect((conn!.received[1] as { text: string }).text).toBe(bigText);
  expect(await until(() => conn!.closed, Boolean)).toEqual({ code: 1000, reason: "done" });
  expect(await recordingErrors(sessionId)).toEqual({ count: 1 });
}, 60_000);

it("ends the call on both sides when a frame exceeds the 32 MiB message limit, and finalizes the session", async () => {
  const { sessionId, before, c } = await call("relay-huge");
  await until(
    () => r.fake.connections.length,
    (n) => n > before,
  );
  c.ws.send(Buffer.alloc((32 << 20) + 1, 1));
  const clientClosed = await c.closed;
  const conn = r.fake.connections[before]!;
  const upstreamClosed = await until(() => conn.closed, Boolean, 45_000);
  expect(clientClosed.code).toBe(1009);
  expect(upstreamClosed).toMatchObject({ code: 1009 });
  expect(conn.received).toEqual([]);
  expect(
    await until(
      () => state(sessionId),
      (s) => s === "finalized",
    ),
  ).toBe("finalized");
}, 90_000);

it("answers 502 when the upstream resets the handshake and 504 when it never answers, recording nothing", async () => {
  r.fake.set({ handshakeFault: "reset" });
  const reset = uniqueId("relay-reset");
  expect(await open(reset)).toMatchObject({ status: 502, body: { error: "upstream_unreachable" } });

  r.fake.set({ handshakeFault: "hang" });
  const hang = uniqueId("relay-hang");
  const t0 = Date.now();
  expect(await open(hang)).toMatchObject({ status: 504, body: { error: "upstream_timeout" } });
  expect(Date.now() - t0).toBeLessThan(10_000);

  for (const id of [reset, hang]) expect((await r.status(id)).status).toBe(404);
  r.fake.set({ script: [] });
}, 30_000);

it("closes the upstream and finalizes the session when the client leaves mid-handshake", async () => {
  const sessionId = uniqueId("relay-left");
  const before = r.fake.connections.length;
  const socket = connect(Number(new URL(r.h.worker.url).port), "127.0.0.1");
  await new Promise((resolve) => socket.once("connect", resolve));
  socket.write(upgradeRequest(sessionId));
  socket.destroy();
  const conn = await until(
    () => r.fake.connections[before],
    (c) => c?.closed !== undefined,
  );
  expect(conn?.closed?.code).toBe(1011);
  expect(
    await until(
      () => state(sessionId),
      (s) => s === "finalized",
    ),
  ).toBe("finalized");

  // Leaving while the upstream has not answered yet: the Worker gives up at its connect timeout.
  r.fake.set({ handshakeFault: "hang" });
  const hung = uniqueId("relay-left-hung");
  const s2 = connect(Number(new URL(r.h.worker.url).port), "127.0.0.1");
  await new Promise((resolve) => s2.once("connect", resolve));
  s2.write(upgradeRequest(hung));
  await until(
    () => r.fake.hanging.length,
    (n) => n > 0,
  );
  s2.destroy();
  await sleep(3000);
  r.fake.set({ script: [] });
  expect((await r.status(hung)).status).toBe(404);
  // The Worker still answers.
  const after = await opened(uniqueId("relay-after"));
  after.ws.close(1000);
  await after.closed;
}, 60_000);

it("passes the client's close to an upstream that went silent, and finalizes the session", async () => {
  r.fake.set({ script: [] });
  const { sessionId, before, c } = await call("relay-silent");
  c.ws.send(JSON.stringify({ type: "input_audio_buffer.append", audio: Buffer.alloc(4800).toString("base64") }));
  c.ws.send(JSON.stringify({ type: "response.create" }));
  await sleep(500);
  c.ws.close(4001, "gave up waiting");
  expect(await c.closed).toEqual({ code: 4001, reason: "gave up waiting" });
  const conn = r.fake.connections[before]!;
  expect(await until(() => conn.closed, Boolean)).toEqual({ code: 4001, reason: "gave up waiting" });
  expect(
    await until(
      () => state(sessionId),
      (s) => s === "finalized",
    ),
  ).toBe("finalized");
  expect((await r.finalizedRecord(sessionId)).endedReason).toBe("customer-ended-call");
}, 60_000);
