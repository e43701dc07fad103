import { reset } from "cloudflare:test";
import fc from "fast-check";
import { afterAll, it } from "vitest";
import { audioOp, controlOp, fragmentOp } from "./arbitraries.ts";
import { assertSessionsSurvive, sessions } from "./property.ts";

afterAll(() => reset());

it("answers generated close, consent, abort and abort-recording bodies in any order without a 5xx, and every touched session still finalizes or stays destroyed", async () => {
  await assertSessionsSurvive(
    sessions(() =>
      fc.oneof(
        { weight: 5, arbitrary: controlOp },
        { weight: 3, arbitrary: fragmentOp },
        { weight: 2, arbitrary: audioOp },
      ),
    ),
  );
});
