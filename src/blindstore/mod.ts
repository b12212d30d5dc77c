// Encrypted, blind-indexed storage shared by the records (CIS) and files (FIDE) services.
export { BlindStore, ERASE_ATTEMPTS, INDEX_HEADER, markedRevision, OVERWRITE_HEADER, REPLACES_HEADER, storedRevision, type ShredOptions } from "./blind-store.js";
export { carryOutErasureOrder, erasureEndpoint, type ErasureSteps } from "./erasure-order.js";
export { MemoryIndex } from "./memory-index.js";
