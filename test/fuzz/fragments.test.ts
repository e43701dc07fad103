import { reset } from "cloudflare:test";
import fc from "fast-check";
import { afterAll, it } from "vitest";
import { audioOp, controlOp, fragmentOp } from "./arbitraries.ts";
import { assertSessionsSurvive, sessions } from "./property.ts";

afterAll(() => reset());

it("answers generated fragments (events, times, sizes, encodings) without a 5xx, and every touched session still finalizes with what it acknowledged", async () => {
  await assertSessionsSurvive(
    sessions(() =>
      fc.oneof(
        { weight: 8, arbitrary: fragmentOp },
        { weight: 1, arbitrary: audioOp },
        { weight: 1, arbitrary: controlOp },
      ),
    ),
  );
});
