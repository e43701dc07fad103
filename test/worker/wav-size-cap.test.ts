import { expect, it } from "vitest";
import { audioBytesCap } from "../../worker/session/caps.ts";
import { putOneFrame, uniqueId } from "../support/workerd/api.ts";
import { isolateEachTest } from "../support/workerd/isolation.ts";

isolateEachTest();

// A WAV's RIFF and data sizes are 32-bit: 96 kHz stereo s16 passes 4 GiB after about 3.1 h, under the 4 h cap.
// The cap is lowered by rate so that no recording the Worker accepts can overflow them.
const RATE = 96_000;
const LARGEST_WAV_DATA = 0xffff_ffff - 36; // RIFF size = 36 + data bytes must fit in 32 bits

it("accepts audio ending exactly at the largest WAV a 32-bit header can describe, and refuses one frame more", async () => {
  const lastFrame = Math.floor(LARGEST_WAV_DATA / 4) - 1;
  const id = uniqueId();
  expect((await putOneFrame(id, 0, lastFrame, RATE)).status).toBe(200);
  const over = await putOneFrame(id, 1, lastFrame + 1, RATE);
  expect(over.status).toBe(413);
  expect(((await over.json()) as { detail: string }).detail).toMatch(/4 GiB/);
});

it("keeps the 4-hour cap at rates where 4 hours fit in a WAV", () => {
  expect(audioBytesCap(16_000)).toBe(4 * 3600 * 16_000 * 4);
  expect(audioBytesCap(48_000)).toBe(4 * 3600 * 48_000 * 4);
  // 96 kHz: a little over 3.1 hours.
  expect(audioBytesCap(96_000) / 4 / 96_000 / 3600).toBeCloseTo(3.107, 2);
});
