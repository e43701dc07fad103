/** Linux's process table as tests and benches read it from /proc: to find (and kill, or measure) workerd. */
import { readdirSync, readFileSync } from "node:fs";

export interface ProcessEntry {
  pid: number;
  ppid: number;
  /** The executable's name (`workerd`, `node`...). */
  comm: string;
}

/** Every process now running; one that ends while the table is read is left out. */
export function processTable(): ProcessEntry[] {
  const table: ProcessEntry[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // "pid (comm) state ppid ...": comm may contain spaces and parentheses, so split at the last ")".
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      table.push({ pid: Number(name), ppid: Number(stat.slice(close + 2).split(" ")[1]), comm });
    } catch {
      // the process ended while the table was read
    }
  }
  return table;
}

/** Every process below `root` (children, grandchildren...). */
export function descendants(root: number, table: ProcessEntry[] = processTable()): ProcessEntry[] {
  const byParent = new Map<number, ProcessEntry[]>();
  for (const p of table) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const out: ProcessEntry[] = [];
  const visit = (pid: number) => {
    for (const child of byParent.get(pid) ?? []) {
      out.push(child);
      visit(child.pid);
    }
  };
  visit(root);
  return out;
}
