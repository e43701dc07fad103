/**
 * observeTwilioStream on a Node server (the `ws` package): a unidirectional stream with both tracks,
 * where Twilio's own messages carry the agent's audio, and a stream with broken input, where the
 * adapter must report, never throw into the app.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket as ServerSocket } from "ws";
import { freePort } from "../../worker/local/ports.ts";
import { readStoredObject } from "../support/r2-read.ts";
import { deinterleave, onset } from "../audio/signal.ts";
import { parseWavStrict } from "../audio/wav-check.ts";
import { observeTwilioStream, type ObservedTwilioStream, type TwilioStreamOptions } from "../../sdk/adapters/twilio.ts";
import { startHarness, uid, type Harness } from "./support.ts";
import { FRAME_SAMPLES, RATE, speechMessages, utterance } from "./twilio-codec.ts";
import { TwilioSide } from "./twilio-support.ts";

let h: Harness;
let wss: WebSocketServer;
let url: string;
/** Each connection is observed with the options of the test that opens it. */
let nextOptions: TwilioStreamOptions = {};
let onConnection: (socket: ServerSocket, observed: ObservedTwilioStream) => void = () => {};
/** The app's own set-up, run before the adapter is attached (its listeners then run first). */
let beforeObserving: (socket: ServerSocket) => void = () => {};

beforeAll(async () => {
  h = await startHarness();
  const port = await freePort();
  wss = new WebSocketServer({ host: "127.0.0.1", port });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  url = `ws://127.0.0.1:${port}`;
  wss.on("connection", (socket) => {
    beforeObserving(socket);
    const observed = observeTwilioStream(h.tracer(), socket, nextOptions); // <- the one line
    onConnection(socket, observed);
  });
});
afterAll(async () => {
  for (const client of wss?.clients ?? []) client.terminate();
  await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
  await h?.stop();
});

describe("observeTwilioStream on a Node ws server", () => {
  it("records a unidirectional both_tracks stream: each track on its own channel at its timestamps, the id from a custom parameter, closed as stream-closed when the socket closes without stop", async () => {
    const sessionId = uid("twilio-both");
    const errors: unknown[] = [];
    nextOptions = { sessionIdParameter: "cekuraSessionId", customer: "to", onError: (e) => errors.push(e) };
    const observed = new Promise<ObservedTwilioStream>((resolve) => (onConnection = (_s, o) => resolve(o)));
    const twilio = await TwilioSide.connect(url);
    twilio.start({
      callSid: `CA${crypto.randomUUID().replaceAll("-", "")}`,
      tracks: ["inbound", "outbound"],
      customParameters: { cekuraSessionId: sessionId, from: "+15550111", to: "+15550222" },
    });

    const seconds = 3;
    const caller = new Int16Array(seconds * RATE);
    const agent = new Int16Array(seconds * RATE);
    caller.set(utterance(0.8, [0.25], 1000, 1500), 0.3 * RATE); // caller marker at 0.55 s
    agent.set(utterance(1.2, [0.5], 440, 2000), 1.4 * RATE); // agent marker at 1.9 s
    await twilio.playCaller(caller, [], "inbound", (frame) =>
      twilio.media(
        "outbound",
        frame + 1,
        frame * 20,
        agent.subarray(frame * FRAME_SAMPLES, (frame + 1) * FRAME_SAMPLES),
      ),
    );
    await twilio.close(); // no stop: the socket just closes

    const status = await (await observed).closed;
    expect(status?.state).toBe("finalized");
    expect(errors).toEqual([]);
    expect(h.errors).toEqual([]);
    const record = await h.record(sessionId);
    expect(record.endedReason).toBe("stream-closed");
    expect(record.metadata).toMatchObject({
      customer_number: "+15550222",
      from_phone_number: "+15550111",
      to_phone_number: "+15550222",
    });
    expect((record.metadata.twilio as { tracks: string[] }).tracks).toEqual(["inbound", "outbound"]);

    const wav = parseWavStrict((await readStoredObject(h.worker.persistTo, record.audio!.key!))!);
    const { left, right } = deinterleave(wav.data);
    const rate = wav.sampleRate;
    for (const [marker, on, off] of [
      [0.55, left, right],
      [1.9, right, left],
    ] as const) {
      const from = Math.round((marker - 0.2) * rate),
        to = Math.round((marker + 0.2) * rate);
      const found = onset(on, 10_000, from, to);
      expect(Math.abs(found / rate - marker) * 1000, `marker at ${marker} s is off by (ms)`).toBeLessThanOrEqual(20);
      expect(onset(off, 10_000, from, to), `marker at ${marker} s leaked onto the other channel`).toBe(-1);
    }
  }, 60_000);

  it("never throws into the app: broken messages are reported, the app's own sends still go out, and close() ends the session", async () => {
    const errors: unknown[] = [];
    const callSid = `CA${crypto.randomUUID().replaceAll("-", "")}`;
    nextOptions = { onError: (e) => errors.push(e) };
    const connected = new Promise<{ socket: ServerSocket; observed: ObservedTwilioStream }>(
      (resolve) => (onConnection = (socket, observed) => resolve({ socket, observed })),
    );
    const twilio = await TwilioSide.connect(url);
    const { socket, observed } = await connected;
    const appSaw: string[] = [];
    socket.on("message", (data) => appSaw.push(String(data)));

    twilio.start({ callSid });
    const session = await observed.started;
    expect(session?.id).toBe(callSid);
    const broken = [
      "not json at all",
      JSON.stringify({ event: "media", media: { track: "inbound", timestamp: "0", payload: "%%% not base64" } }),
      JSON.stringify({ event: "mark" }),
      JSON.stringify({ event: "something-new", whatever: 1 }),
    ];
    for (const text of broken) twilio.raw(text);
    // The app sends binary data, a malformed clear and a mark: it all goes out, nothing throws.
    expect(() => socket.send(Buffer.from([1, 2, 3]))).not.toThrow();
    expect(() => socket.send(JSON.stringify({ event: "media", media: { payload: 42 } }))).not.toThrow();
    expect(() => socket.send(JSON.stringify({ event: "mark", streamSid: "MZ1", mark: { name: "x" } }))).not.toThrow();
    await new Promise((r) => setTimeout(r, 200));
    expect(appSaw.slice(2, 6)).toEqual(broken); // after connected and start, the app's own listener got every message
    expect(twilio.echoes.map((e) => e.name)).toEqual(["x"]); // the app's mark reached Twilio

    const status = await observed.close();
    expect(status?.state).toBe("finalized");
    expect(errors).toHaveLength(1); // the invalid base64 payload
    expect(String(errors[0])).toMatch(/base64|character|decode/i);
    expect((await h.record(callSid)).endedReason).toBe("agent-ended-call");
    // Detached: a later message from Twilio and a later send reach nobody's recording and throw nothing.
    expect(() => socket.send("{}")).not.toThrow();
    await twilio.close();
  }, 60_000);

  it("records the audio an app sends while handling start, when the app's listener runs before the adapter's", async () => {
    const errors: unknown[] = [];
    const callSid = `CA${crypto.randomUUID().replaceAll("-", "")}`;
    nextOptions = { onError: (e) => errors.push(e) };
    beforeObserving = (socket) => {
      socket.on("message", (data) => {
        const message = JSON.parse(String(data)) as { event: string; start?: { streamSid: string } };
        if (message.event !== "start") return;
        const streamSid = message.start!.streamSid;
        for (const sent of speechMessages(streamSid, utterance(0.6, [0.2], 440, 2000), "greeting")) socket.send(sent);
      });
    };
    const observed = new Promise<ObservedTwilioStream>((resolve) => (onConnection = (_s, o) => resolve(o)));
    const twilio = await TwilioSide.connect(url);
    twilio.start({ callSid });
    await twilio.playCaller(new Int16Array(1.2 * RATE));
    twilio.stop(callSid);
    await twilio.close();
    beforeObserving = () => {};

    expect((await (await observed).closed)?.state).toBe("finalized");
    expect(errors).toEqual([]);
    const record = await h.record(callSid);
    const truth = onset(twilio.playedAudio(1200), 10_000) / RATE;
    const wav = parseWavStrict((await readStoredObject(h.worker.persistTo, record.audio!.key!))!);
    const { right } = deinterleave(wav.data);
    const found = onset(right, 10_000) / wav.sampleRate;
    expect(truth).toBeGreaterThan(0.15);
    expect(Math.abs(found - truth) * 1000, "greeting marker is off by (ms)").toBeLessThanOrEqual(20);
  }, 60_000);
});
