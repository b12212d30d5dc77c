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

/** Where the operations service keeps what members exchange inside an operation (sealed to them). */
export interface OperationItemsStore {
  /** The service that owns the store and erases from it. */
  readonly service: "operations";
  readonly bucket: string;
  /** Items are stored under `<prefix>.<operation id>.<item id>`. */
  readonly prefix: string;
  /** The key of one item of one operation. */
  key(operationId: string, itemId: string): string;
  /** The key filter that takes every item of one operation. */
  operationKeys(operationId: string): string;
  /** A stored value (a KV entry's bytes) as the stored item. */
  decode(bytes: Uint8Array): pb.StoredOperationItem;
}

/** Documents, comments, group messages and recommendations of joint operations (the operations service). */
export const OPERATION_ITEMS_STORE: OperationItemsStore = Object.freeze({
  service: "operations",
  bucket: "operation-items",
  prefix: "item",
  key: (operationId: string, itemId: string) => `item.${operationId}.${itemId}`,
  operationKeys: (operationId: string) => `item.${operationId}.>`,
  decode: (b: Uint8Array) => pb.StoredOperationItem.decode(b),
});
