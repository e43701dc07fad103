/** Bytes on disk under a wrangler --persist-to folder, split by what holds them. */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export interface PersistSizes {
  /** Durable Object SQLite files (*.sqlite and their -wal/-shm). */
  durableObjects: number;
  /** R2 blobs and metadata. */
  r2: number;
}

export function persistSizes(dir: string): PersistSizes {
  const sizes: PersistSizes = { durableObjects: 0, r2: 0 };
  let paths: string[];
  try {
    paths = readdirSync(dir, { recursive: true, encoding: "utf8" });
  } catch {
    return sizes; // nothing persisted yet
  }
  for (const path of paths) {
    const full = join(dir, path);
    const stat = statSync(full, { throwIfNoEntry: false });
    if (!stat?.isFile()) continue;
    if (/[\\/]do[\\/]/.test(full) && /\.sqlite(-wal|-shm)?$/.test(path)) sizes.durableObjects += stat.size;
    else if (/[\\/]r2[\\/]/.test(full)) sizes.r2 += stat.size;
  }
  return sizes;
}
