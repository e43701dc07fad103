/** The playout policy behind the Twilio adapter's agent channel: pure, driven by the time passed in. */
import { describe, expect, it } from "vitest";
import { Playout, type PlayedAudio } from "../../sdk/adapters/twilio-playout.ts";

const RATE = 8000;
const ms = (n: number) => new Int16Array((n * RATE) / 1000).fill(1);
/** [start ms, length ms] of each handed-out part, rounded to 0.1 ms. */
const spans = (parts: PlayedAudio[]) => parts.map((p) => [Math.round(p.atMs * 10) / 10, (p.pcm.length * 1000) / RATE]);

describe("Playout", () => {
  it("plays audio sent while earlier audio is queued back to back, and hands it out once, holdBackMs after it played", () => {
    const p = new Playout(RATE, { holdBackMs: 300 });
    expect(p.enqueue(100, ms(1000))).toBe(100);
    expect(p.enqueue(150, ms(500))).toBe(1100);
    expect(p.endMs).toBe(1600);
    expect(p.played(350)).toEqual([]);
    expect(spans(p.played(600))).toEqual([[100, 200]]);
    expect(spans(p.played(1500))).toEqual([
      [300, 800],
      [1100, 100],
    ]);
    expect(spans(p.played(5000))).toEqual([[1200, 400]]);
    expect(p.played(6000)).toEqual([]);
    expect(p.pending).toBe(false);
    // After a pause, audio starts when it is sent.
    expect(p.enqueue(7000, ms(100))).toBe(7000);
  });

  it("drops what had not played when a clear takes effect, including marks queued behind it", () => {
    const p = new Playout(RATE, { holdBackMs: 300 });
    p.enqueue(0, ms(2000));
    p.mark(0, "first-half");
    p.enqueue(0, ms(2000));
    p.mark(0, "answer");
    expect(spans(p.played(700))).toEqual([[0, 400]]);
    expect(spans(p.clear(900))).toEqual([[400, 500]]);
    expect(p.cutMs).toBe(3100);
    expect(p.pending).toBe(false);
    expect(p.played(10_000)).toEqual([]);
    // Twilio echoes cleared marks at once: they say nothing about playback.
    expect(p.echo(905, "first-half")).toBeUndefined();
    expect(p.echo(905, "answer")).toBeUndefined();
    expect(p.latencyMs).toBe(0);
    expect(p.enqueue(1000, ms(100))).toBe(1000);
  });

  it("moves queued audio and later sends by the latency a late echo shows", () => {
    const p = new Playout(RATE, { holdBackMs: 300 });
    p.enqueue(0, ms(100));
    p.mark(0, "a");
    p.enqueue(0, ms(900));
    expect(p.echo(140, "a")).toEqual({ atMs: 100, lateMs: 40 });
    expect(p.latencyMs).toBe(40);
    expect(p.endMs).toBe(1040);
    expect(spans(p.played(2000))).toEqual([
      [40, 100],
      [140, 900],
    ]);
    expect(p.enqueue(3000, ms(100))).toBe(3040);
  });

  it("takes the smallest latency among recent echoes, so one delayed echo does not move the audio", () => {
    const p = new Playout(RATE, { holdBackMs: 300 });
    for (let i = 0; i < 10; i++) {
      p.enqueue(0, ms(100));
      p.mark(0, `m${i}`);
    }
    p.echo(110, "m0"); // 10 ms of latency
    expect(p.latencyMs).toBe(10);
    p.echo(260, "m1"); // delayed by the network: 50 ms after it played
    expect(p.latencyMs).toBe(10);
    p.echo(310, "m2");
    expect(p.latencyMs).toBe(10);
    expect(p.endMs).toBe(1010);
  });

  it("estimates each burst from its own echoes: a reply that reaches the stream later than the greeting did moves with its first echoes", () => {
    const p = new Playout(RATE, { holdBackMs: 300 });
    for (let i = 0; i < 5; i++) {
      p.enqueue(0, ms(100));
      p.mark(0, `greeting${i}`);
    }
    for (let i = 0; i < 5; i++) p.echo(102 + 100 * i, `greeting${i}`); // 2 ms of latency
    expect(p.latencyMs).toBe(2);
    p.played(2000);
    // The reply is sent at 3000 ms and reaches the stream 50 ms late: its echoes say so.
    for (let i = 0; i < 5; i++) {
      p.enqueue(3000, ms(100));
      p.mark(3000, `reply${i}`);
    }
    expect(p.endMs).toBe(3502);
    p.echo(3150, "reply0");
    expect(p.latencyMs).toBe(50);
    expect(p.endMs).toBe(3550);
    p.echo(3250, "reply1");
    expect(spans(p.played(3400))).toEqual([[3050, 50]]);
  });

  it("moves audio earlier on an early echo, never before audio already handed out", () => {
    const p = new Playout(RATE, { latencyMs: 100, holdBackMs: 0 });
    p.enqueue(0, ms(200)); // 100..300
    p.mark(0, "a"); // at 300
    p.enqueue(0, ms(200)); // 300..500
    p.echo(250, "a"); // it played 50 ms earlier than estimated
    expect(p.latencyMs).toBe(50);
    expect(spans(p.played(120))).toEqual([[50, 70]]);
    p.mark(120, "b");
    p.echo(130, "b"); // far earlier still: latency 0, but what follows handed-out audio cannot move before it
    expect(p.latencyMs).toBe(0);
    expect(spans(p.played(1000))).toEqual([
      [120, 130],
      [250, 200],
    ]);
  });

  it("at the end of the stream keeps what played until then and drops the rest", () => {
    const p = new Playout(RATE, { holdBackMs: 300 });
    p.enqueue(0, ms(1000));
    expect(spans(p.end(600))).toEqual([[0, 600]]);
    expect(p.cutMs).toBe(400);
  });
});
