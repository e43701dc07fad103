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
  const walk = (path: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(path);
    } catch {
      return;
    }
    for (const name of entries) {
      const full = join(path, name);
      const stat = statSync(full, { throwIfNoEntry: false });
      if (!stat) continue;
      if (stat.isDirectory()) walk(full);
      else if (/[\\/]do[\\/]/.test(full) && /\.sqlite(-wal|-shm)?$/.test(name)) sizes.durableObjects += stat.size;
      else if (/[\\/]r2[\\/]/.test(full)) sizes.r2 += stat.size;
    }
  };
  walk(dir);
  return sizes;
}
