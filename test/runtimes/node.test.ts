import { runCases } from "../sdk/cases/run.ts";
import { runtimeSuite } from "./harness.ts";

runtimeSuite("node", (base) => runCases(base));
