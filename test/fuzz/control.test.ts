import fc from "fast-check";
import { it } from "vitest";
import { audioOp, controlOp, fragmentOp } from "./arbitraries.ts";
import { assertSessionsSurvive, FUZZ_TIMEOUT_MS, fuzzedWorker, sessions } from "./property.ts";

fuzzedWorker();

it(
  "answers generated close, consent, abort and abort-recording bodies in any order without a 5xx, and every touched session still finalizes or stays destroyed",
  async () => {
    await assertSessionsSurvive(
      sessions(() =>
        fc.oneof(
          { weight: 5, arbitrary: controlOp },
          { weight: 3, arbitrary: fragmentOp },
          { weight: 2, arbitrary: audioOp },
        ),
      ),
    );
  },
  FUZZ_TIMEOUT_MS,
);
