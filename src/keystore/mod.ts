// Data keys at rest: one per CIS record or FIDE entry, wrapped by the KEK, erasable one by one.
export { DataKeyStore, keyLocation, keyIdFor, keyShard, wrapDataKey, type DataKey, type PrefetchedKey } from "./data-keys.js";
