import { audioOp, controlOp, fragmentOp } from "./arbitraries.ts";
import { sessionProperty } from "./property.ts";

sessionProperty(
  "answers generated fragments (events, times, sizes, encodings) without a 5xx, and every touched session still finalizes with what it acknowledged",
  [
    [8, () => fragmentOp],
    [1, () => audioOp],
    [1, () => controlOp],
  ],
);
