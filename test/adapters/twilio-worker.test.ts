/**
 * observeTwilioStream inside workerd: a phone-agent Worker (or its Durable Object) accepts a Media
 * Streams socket and observes it with one line; Twilio's side (Node `ws`) replays a recorded-format conversation against it over
 * a real WebSocket: connected, start, inbound media with timestamps, the agent's outbound audio, a
 * barge-in `clear`, marks, a DTMF key and stop. The session lands in the real local Worker.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readStoredObject } from "../support/r2-read.ts";
import { expectMarkers } from "../audio/expect-markers.ts";
import { deinterleave, onset, rms } from "../audio/signal.ts";
import { parseWavStrict } from "../audio/wav-check.ts";
import { API_KEY, startHarness, type Harness } from "./support.ts";
import { CALL, RATE, utterance, MARKER_MS } from "./twilio-codec.ts";
import { startPhoneWorker, TwilioSide, type PhoneWorker } from "./twilio-support.ts";

let h: Harness;
let phone: PhoneWorker;
beforeAll(async () => {
  h = await startHarness();
  phone = await startPhoneWorker(h.worker.url, API_KEY);
});
afterAll(async () => {
  await phone?.stop();
  await h?.stop();
});

/** Onsets (seconds) of marker bursts: every crossing of `threshold`, each burst counted once. */
function markerOnsets(x: Int16Array, rate: number, threshold: number): number[] {
  const found: number[] = [];
  for (let i = onset(x, threshold); i >= 0; i = onset(x, threshold, i + Math.round(((MARKER_MS + 40) / 1000) * rate)))
    found.push(i / rate);
  return found;
}

describe.each([
  ["a Worker (WebSocketPair + accept)", "/twilio"],
  ["a Durable Object (ctx.acceptWebSocket, hibernation handlers)", "/twilio-do"],
])("observeTwilioStream on %s", (_where, path) => {
  it("records a replayed Media Streams call: caller left, agent right, markers within 20 ms of when they played, the audio cut by clear absent", async () => {
    const callSid = `CA${crypto.randomUUID().replaceAll("-", "")}`;
    const twilio = await TwilioSide.connect(`${phone.url.replace(/^http/, "ws")}${path}`);
    twilio.start({ callSid, customParameters: { from: "+15550100", to: "+15550199", campaign: "spring" } });

    const caller = new Int16Array((CALL.stopAtMs * RATE) / 1000);
    for (const s of CALL.callerSpeech)
      caller.set(utterance(s.seconds, [...s.markers], CALL.callerHz, CALL.callerMarkerHz), (s.atMs * RATE) / 1000);
    await twilio.playCaller(caller, [{ atMs: CALL.dtmf.atMs, run: () => twilio.dtmf(CALL.dtmf.digit) }]);
    twilio.stop(callSid);
    await twilio.close();

    const record = await h.finalRecord(callSid);
    expect(await phone.errors()).toEqual([]);

    // What Twilio played, and when: the truth. The answer's second marker was cut by the barge-in.
    expect(twilio.clears).toHaveLength(1);
    const clearMs = twilio.clears[0]!;
    const played = twilio.playedAudio(CALL.stopAtMs);
    const agentMarkers = markerOnsets(played, RATE, 10_000);
    expect(agentMarkers).toHaveLength(3);
    const callerMarkers = CALL.callerSpeech.flatMap((s) => s.markers.map((m) => s.atMs / 1000 + m));
    expect(twilio.echoes.filter((e) => !e.name.includes(":")).map((e) => [e.name, e.cleared])).toEqual([
      ["greeting", false],
      ["answer", true],
      ["dtmf-ack", false],
    ]);

    // The finalized WAV: left = caller, right = agent, each marker within 20 ms, none on the other side.
    expect(record.audio).toMatchObject({ channels: 2 });
    const wav = parseWavStrict((await readStoredObject(h.worker.persistTo, record.audio!.key!))!);
    const { left, right } = deinterleave(wav.data);
    const rate = wav.sampleRate;
    const check = { rate, threshold: 10_000, windowS: 0.2 };
    expectMarkers(callerMarkers, left, right, check);
    expectMarkers(agentMarkers, right, left, check);
    expect(markerOnsets(right, rate, 10_000)).toHaveLength(3);

    // The answer played until the clear, then nothing until the DTMF acknowledgement: the cut audio is absent.
    const at = (ms: number) => Math.round((ms / 1000) * rate);
    expect(rms(right, at(clearMs - 300), at(clearMs - 30))).toBeGreaterThan(1000);
    const ackStartMs = agentMarkers[2]! * 1000 - CALL.dtmfAck.markers[0] * 1000;
    expect(ackStartMs - clearMs).toBeGreaterThan(500);
    const afterClear = right.subarray(at(clearMs + 30), at(ackStartMs - 30));
    expect(Math.max(...afterClear.map(Math.abs))).toBeLessThan(200);

    // The call's lifecycle and facts.
    expect(record.endedReason).toBe("customer-ended-call");
    const twilioMeta = record.metadata.twilio as Record<string, unknown>;
    expect(twilioMeta).toMatchObject({
      callSid,
      accountSid: "AC00000000000000000000000000000000",
      tracks: ["inbound"],
      mediaFormat: { encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1 },
      customParameters: { from: "+15550100", to: "+15550199", campaign: "spring" },
    });
    expect(String(twilioMeta.streamSid)).toMatch(/^MZ/);
    expect(record.metadata).toMatchObject({
      customer_number: "+15550100",
      from_phone_number: "+15550100",
      to_phone_number: "+15550199",
    });
    const dtmfLog = record.logs.find((l) => l.message === "DTMF 7");
    expect(dtmfLog?.attributes).toMatchObject({ digit: "7", track: "inbound_track" });
    const clearLog = record.logs.find((l) => l.message.includes("cleared"));
    expect(Number(clearLog?.attributes?.cutMs)).toBeGreaterThan(500);
    expect(record.transcript.map((t) => [t.role, t.text])).toEqual([
      ["assistant", "Hello, how can I help?"],
      ["user", "When are you open?"],
      ["assistant", "We are open from nine to five, every day except Sunday, and on holidays"],
      ["system", "DTMF: 7"],
      ["assistant", "You pressed seven."],
    ]);
    const dtmfLine = record.transcript.find((t) => t.role === "system")!;
    const dtmfOffsetMs = Date.parse(dtmfLine.startedAt) - Date.parse(record.startedAt as string);
    expect(Math.abs(dtmfOffsetMs - CALL.dtmf.atMs)).toBeLessThan(100);
  }, 90_000);
});
