import { expect } from "vitest";

/** A finalized record that carries no audio and says why, with the number of transcript entries it kept. */
export function expectRecordWithoutAudio(
  record: unknown,
  audioDropped: "no-consent" | "abort-recording",
  transcriptEntries: number,
) {
  expect(record).toMatchObject({ audio: null, consent: { audioDropped } });
  expect((record as { transcript: unknown[] }).transcript).toHaveLength(transcriptEntries);
}
