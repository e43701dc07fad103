import { audioOp, controlOp, fragmentOp } from "./arbitraries.ts";
import { sessionProperty } from "./property.ts";

sessionProperty(
  "answers generated audio chunks (paths, headers, bodies) without a 5xx, and every touched session still finalizes with the audio it acknowledged",
  [
    [8, () => audioOp],
    [1, () => fragmentOp],
    [1, () => controlOp],
  ],
);
