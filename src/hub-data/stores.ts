// Where each hub data service keeps its objects: the one declaration of its KV bucket, the key
// prefix of its objects there and their stored type. The owning service opens its blind store
// from it; the retention sweeper reads the metadata through it (the content stays encrypted).
import { pb } from "../proto/mod.js";

export interface DataStore<T> {
  /** The service that owns the store and answers for it (`erase-due`, its sealed endpoints). */
  readonly service: "records" | "files";
  readonly bucket: string;
  /** Objects are stored under `<prefix>.<id>` (their side entries, the hits, under the same prefix in bucket "hits"). */
  readonly prefix: string;
  /** The key of the object with this id. */
  key(id: string): string;
  /** A stored value (a KV entry's bytes) as the stored object. */
  decode(bytes: Uint8Array): T;
}

function dataStore<T>(service: DataStore<T>["service"], bucket: string, prefix: string, decode: (bytes: Uint8Array) => T): DataStore<T> {
  return Object.freeze({ service, bucket, prefix, key: (id: string) => `${prefix}.${id}`, decode });
}

/** CIS records (the records service). */
export const RECORDS_STORE: DataStore<pb.StoredRecord> = dataStore("records", "records", "rec", (b) => pb.StoredRecord.decode(b));

/** FIDE investigation-file index entries (the files service). */
export const FILES_STORE: DataStore<pb.StoredFileEntry> = dataStore("files", "files", "file", (b) => pb.StoredFileEntry.decode(b));
