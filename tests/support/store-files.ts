// Reading a server's store from a test that looks for what must not be there (secure erase, no
// plaintext at rest). The server keeps writing while a test reads: a file or folder it removes
// between the listing and the read (a compacted block, a renamed `.tmp`) held nothing.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const gone = (err: unknown) => (err as NodeJS.ErrnoException).code === "ENOENT";

/** Every regular file under `dir`, at the moment each folder is listed. */
export function filesUnder(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (gone(err)) return [];
    throw err;
  }
  return entries.flatMap((d) => (d.isDirectory() ? filesUnder(join(dir, d.name)) : d.isFile() ? [join(dir, d.name)] : []));
}

/** A store file's bytes; one removed since it was listed reads as empty. */
export function readStoreFile(f: string): Buffer {
  try {
    return readFileSync(f);
  } catch (err) {
    if (gone(err)) return Buffer.alloc(0);
    throw err;
  }
}
