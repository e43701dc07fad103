import { reset } from "cloudflare:test";
import fc from "fast-check";
import { afterAll, it } from "vitest";
import { controlOp, fragmentOp, otlpOp } from "./arbitraries.ts";
import { assertSessionsSurvive, sessions } from "./property.ts";

afterAll(() => reset());

it("answers generated OTLP bodies (ids, times up to 20 digits, sizes, routing) without a 5xx, and every touched session still finalizes and renders", async () => {
  await assertSessionsSurvive(
    sessions((id) =>
      fc.oneof(
        { weight: 8, arbitrary: otlpOp(id) },
        { weight: 1, arbitrary: fragmentOp },
        { weight: 1, arbitrary: controlOp },
      ),
    ),
  );
});
