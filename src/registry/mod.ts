// The registry of contact points and their public keys (KV "registry"), every entry signed by the registry key.
export { RegistryView, registryKey } from "./view.js";
export { watchRegistry, type RegistryWatch, type RegistryRefusal, type RegistryReaderOptions } from "./watch.js";
export { followRegistry, fetchRegistry, REGISTRY_LIST_SUBJECT, REGISTRY_CHANGED_SUBJECT, type RegistryFollower } from "./client.js";
export { RegistryWriter, publicKeyEntry } from "./admin.js";
export { signEntry, verifyEntry, registryTrust, readRegistryTrust, writeRegistryTrust, VersionFloor, type RegistryTrust } from "./signing.js";
export { describeEntry, expiringKeys, readRegistryEntries, revokeContactPointKey, rotateContactPointKeys, type ContactPointRow, type KeyRow, type KeyChange } from "./manage.js";
