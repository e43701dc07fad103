import fc from "fast-check";
import { it } from "vitest";
import { controlOp, fragmentOp, otlpOp } from "./arbitraries.ts";
import { assertSessionsSurvive, FUZZ_TIMEOUT_MS, fuzzedWorker, sessions } from "./property.ts";

fuzzedWorker();

it(
  "answers generated OTLP bodies (ids, times up to 20 digits, sizes, routing) without a 5xx, and every touched session still finalizes and renders",
  async () => {
    await assertSessionsSurvive(
      sessions((id) =>
        fc.oneof(
          { weight: 8, arbitrary: otlpOp(id) },
          { weight: 1, arbitrary: fragmentOp },
          { weight: 1, arbitrary: controlOp },
        ),
      ),
    );
  },
  FUZZ_TIMEOUT_MS,
);
