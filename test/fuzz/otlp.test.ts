import { controlOp, fragmentOp, otlpOp } from "./arbitraries.ts";
import { sessionProperty } from "./property.ts";

sessionProperty(
  "answers generated OTLP bodies (ids, times up to 20 digits, sizes, routing) without a 5xx, and every touched session still finalizes and renders",
  [
    [8, otlpOp],
    [1, () => fragmentOp],
    [1, () => controlOp],
  ],
);
