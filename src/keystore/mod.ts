// Data keys at rest: one per CIS record or FIDE entry, wrapped by the KEK, erasable one by one.
export { DataKeyStore, keyLocation, keyShard, newKeyId, wrapDataKey, type DataKey } from "./data-keys.js";
