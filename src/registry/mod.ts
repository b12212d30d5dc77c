// The registry of contact points and their public keys (KV "registry").
export { RegistryView, registryKey } from "./view.js";
export { watchRegistry, type RegistryWatch } from "./watch.js";
export { followRegistry, fetchRegistry, REGISTRY_LIST_SUBJECT, REGISTRY_CHANGED_SUBJECT, type RegistryFollower } from "./client.js";
export { openRegistry, upsertContactPoint, modifyContactPoint, revokeKey, readContactPoint, publicKeyEntry } from "./admin.js";
