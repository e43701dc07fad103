/** `npx tsx bench/<file>.ts`: when `moduleUrl` is the script being run, measures, prints its table and its BENCH_JSON line. */
import { pathToFileURL } from "node:url";
import { renderTable, type Row } from "./table.ts";

export function whenRunAlone<T>(moduleUrl: string, measure: () => T, rows: (result: T) => Row[]): void {
  if (moduleUrl !== pathToFileURL(process.argv[1] ?? "").href) return;
  const result = measure();
  console.log(renderTable(rows(result)));
  console.log(`BENCH_JSON ${JSON.stringify(result)}`);
}
