import fc from "fast-check";
import { it } from "vitest";
import { audioOp, controlOp, fragmentOp } from "./arbitraries.ts";
import { assertSessionsSurvive, FUZZ_TIMEOUT_MS, fuzzedWorker, sessions } from "./property.ts";

fuzzedWorker();

it(
  "answers generated audio chunks (paths, headers, bodies) without a 5xx, and every touched session still finalizes with the audio it acknowledged",
  async () => {
    await assertSessionsSurvive(
      sessions(() =>
        fc.oneof(
          { weight: 8, arbitrary: audioOp },
          { weight: 1, arbitrary: fragmentOp },
          { weight: 1, arbitrary: controlOp },
        ),
      ),
    );
  },
  FUZZ_TIMEOUT_MS,
);
