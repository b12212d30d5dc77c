// Keys, envelope seal/open, batch signatures, secret files. Blind indexes and data keys join with
// the records service.
export { utf8, b64u, fromB64u, hex, concat, equalBytes, assertLength, sha256 } from "./bytes.js";
export { aeadSeal, aeadOpen, aeadSealPacked, aeadOpenPacked, randomKey, xchachaEncrypt, xchachaDecrypt, AEAD_KEY_SIZE, AEAD_NONCE_SIZE, AEAD_TAG_SIZE } from "./aead.js";
export { randomBytes } from "./random.js";
export { newId } from "./ids.js";
export {
  Ed25519Signer,
  ed25519Verify,
  generateEncryptionKey,
  generateSigningKey,
  hkdf32,
  keyIdFor,
  privateKeyObject,
  x25519,
  PUBLIC_KEY_SIZE,
  SECRET_KEY_SIZE,
  SIGNATURE_SIZE,
  type KeyPair,
  type KeyUse,
} from "./keys.js";
export { readSecretFile, writeSecretFile } from "./secret-file.js";
export { initKeyFile, readKeyFile, parseKeyFile, serialiseKeyFile, generateContactPointKeys, rotateKeyFile, followKeyFile, type ContactPointKeys, type KeyRotation, type FollowedKeyFile } from "./key-file.js";
export { Sealer, wrapKeyFrom, WRAP_INFO, type RecipientKey, type SealerOptions } from "./seal.js";
export { Opener, type Opened } from "./open.js";
export { BatchSigner, signedLeaf, batchHeadBytes, SIGNED_TYPES, type SignedType, type SignItem } from "./batch-sign.js";
export { BatchVerifier, type SignerKey, type SignerKeyLookup } from "./batch-verify.js";
export { decodeAs, decodeEnvelope, decodeMessage, messageName, decodeEnvelopeBytes, envelopeBytesOf, inboxItemOfEnvelope, type DecodedEnvelope, type MessageType } from "./envelope.js";
export { BlindIndexer } from "./blind-index.js";
export { readHubSecrets, writeHubSecrets, ensureHubSecrets, KekRing, type HubSecrets, type Kek } from "./hub-secrets.js";
export {
  FILE_CHUNK_SIZE,
  FILE_CHUNK_OVERHEAD,
  FILE_NONCE_PREFIX_SIZE,
  newFileSealing,
  sealChunk,
  openChunk,
  chunkCount,
  sealedSize,
  sealFileChunks,
  openFileChunks,
  type FileSealing,
} from "./chunked-seal.js";
