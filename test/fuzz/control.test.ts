import { audioOp, controlOp, fragmentOp } from "./arbitraries.ts";
import { sessionProperty } from "./property.ts";

sessionProperty(
  "answers generated close, consent, abort and abort-recording bodies in any order without a 5xx, and every touched session still finalizes or stays destroyed",
  [
    [5, () => controlOp],
    [3, () => fragmentOp],
    [2, () => audioOp],
  ],
);
