// Encrypted, blind-indexed storage shared by the records (CIS) and files (FIDE) services.
export { BlindStore, ERASE_ATTEMPTS, INDEX_HEADER, OVERWRITE_HEADER, REPLACES_HEADER, type ShredOptions } from "./blind-store.js";
export { MemoryIndex } from "./memory-index.js";
