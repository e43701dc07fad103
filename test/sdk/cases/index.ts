/** Every case of the shared SDK suite. Add a case file here (one import + one spread). */
import { cases as lifecycle } from "./lifecycle.cases.ts";
import { cases as recording } from "./recording.cases.ts";
import { cases as otel } from "./otel.ts";
import { cases as audio } from "./audio.cases.ts";
import { cases as cekuraFields } from "./cekura-fields.cases.ts";
import { cases as redact } from "./redact.cases.ts";
import { cases as placement } from "./placement.cases.ts";
import type { SdkCase } from "./types.ts";

export const allCases: SdkCase[] = [
  ...recording,
  ...lifecycle,
  ...otel,
  ...audio,
  ...cekuraFields,
  ...redact,
  ...placement,
];

export type { CaseContext, CaseResult, Runtime, SdkCase } from "./types.ts";
