import { createPrivateKey, generateKeyPairSync, hkdfSync } from "node:crypto";
import { mkdtempSync, statSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { ed25519, x25519 as nobleX25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { describe, expect, it } from "vitest";
import {
  aeadOpen,
  aeadOpenPacked,
  aeadSeal,
  aeadSealPacked,
  BatchSigner,
  BlindIndexer,
  BatchVerifier,
  decodeEnvelope,
  Ed25519Signer,
  ed25519Verify,
  generateContactPointKeys,
  hkdf32,
  initKeyFile,
  randomBytes,
  signedLeaf,
  xchachaDecrypt,
  xchachaEncrypt,
  Opener,
  parseKeyFile,
  privateKeyObject,
  readKeyFile,
  Sealer,
  wrapKeyFrom,
  x25519,
  type ContactPointKeys,
  type KeyPair,
  type SignerKeyLookup,
} from "../../src/crypto/mod.js";
import { LiaisonError } from "../../src/errors.js";
import { leafHash } from "../../src/merkle/mod.js";
import { pb } from "../../src/proto/mod.js";
import vectors from "../vectors/crypto/primitives.json" with { type: "json" };
import golden from "../vectors/crypto/envelope-v1.json" with { type: "json" };

const hex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function lookupFor(...parties: ContactPointKeys[]): SignerKeyLookup {
  return (keyId) => {
    for (const p of parties) if (p.signing.keyId === keyId) return { owner: p.owner, publicKey: p.signing.publicKey };
    throw new LiaisonError("LIAISON_UNKNOWN_KEY", keyId);
  };
}

function makeEnvelope(sender: ContactPointKeys, to: ContactPointKeys[], body = "hello", id = "env-1"): Uint8Array {
  const header: pb.IEnvelopeHeader = {
    id,
    sender: sender.owner,
    recipients: to.map((t) => t.owner),
    kind: pb.MessageKind.MESSAGE_KIND_REQUEST,
    createdAtMs: 1_790_000_000_000,
    priority: pb.Priority.PRIORITY_NORMAL,
    caseRef: "C-1",
    senderKeyId: sender.signing.keyId,
  };
  const recipients = to.map((t) => ({ cp: t.owner, keyId: (t.encryption[0] as KeyPair).keyId, publicKey: (t.encryption[0] as KeyPair).publicKey }));
  const sealed = new Sealer().seal(header, pb.Payload.encode({ subject: "s", body }).finish(), recipients);
  const [signature] = new BatchSigner(new Ed25519Signer(sender.signing)).signMany([{ type: "envelope", bytes: sealed }]);
  return pb.Envelope.encode({ sealed, signature: signature ?? null }).finish();
}

/** What an access point does with an arriving envelope: decode, verify the sender, open. */
function receive(bytes: Uint8Array, me: ContactPointKeys, verifier: BatchVerifier): pb.Payload {
  const dec = decodeEnvelope(pb.Envelope.decode(bytes));
  verifier.verify("envelope", dec.envelope.sealed, dec.envelope.signature, dec.header.sender);
  return pb.Payload.decode(new Opener(me.owner, me.encryption).open(dec.sealed).payload);
}

describe("primitives against published known answers", () => {
  it("XChaCha20-Poly1305 matches draft-irtf-cfrg-xchacha-03 A.3.1 and opens it", () => {
    const v = vectors.xchacha20poly1305;
    const out = xchacha20poly1305(hex(v.key), hex(v.nonce), hex(v.aad)).encrypt(new TextEncoder().encode(v.plaintext));
    expect(toHex(out)).toBe(v.ciphertext + v.tag);
    expect(new TextDecoder().decode(aeadOpen(hex(v.key), hex(v.nonce), out, hex(v.aad)))).toBe(v.plaintext);
    expect(() => aeadOpen(hex(v.key), hex(v.nonce), out, hex("00"))).toThrow(LiaisonError);
  });

  it("our XChaCha20-Poly1305 (HChaCha20 + OpenSSL ChaCha20-Poly1305) matches the draft and @noble/ciphers both ways", () => {
    const v = vectors.xchacha20poly1305;
    const ours = xchachaEncrypt(hex(v.key), hex(v.nonce), new TextEncoder().encode(v.plaintext), hex(v.aad));
    expect(toHex(ours)).toBe(v.ciphertext + v.tag);
    for (const size of [0, 1, 63, 64, 65, 1024, 70_000]) {
      const key = randomBytes(32);
      const nonce = randomBytes(24);
      const aad = randomBytes(size % 100);
      const pt = randomBytes(size);
      const mine = xchachaEncrypt(key, nonce, pt, aad);
      expect(toHex(mine)).toBe(toHex(xchacha20poly1305(key, nonce, aad).encrypt(pt)));
      expect(toHex(xchachaDecrypt(key, nonce, xchacha20poly1305(key, nonce, aad).encrypt(pt), aad))).toBe(toHex(pt));
      const bad = new Uint8Array(mine);
      bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 1;
      expect(() => xchachaDecrypt(key, nonce, bad, aad)).toThrow(LiaisonError);
    }
  });

  it("seals under a fresh nonce in the layouts stored so far: nonce beside the ciphertext, or nonce ‖ ciphertext ‖ tag in one blob", () => {
    const key = randomBytes(32);
    const aad = new TextEncoder().encode("an attachment's associated data");
    const pt = randomBytes(1000);
    // Fields: the ciphertext is XChaCha20-Poly1305 under the returned nonce, as records, FIDE entries and data keys store it.
    const fields = aeadSeal(key, pt, aad);
    expect(fields.nonce.length).toBe(24);
    expect(toHex(fields.ciphertext)).toBe(toHex(xchachaEncrypt(key, fields.nonce, pt, aad)));
    // One blob (record attachments): byte for byte nonce ‖ xchachaEncrypt(…), and different each time.
    const packed = aeadSealPacked(key, pt, aad);
    expect(packed.length).toBe(24 + pt.length + 16);
    expect(toHex(packed.subarray(24))).toBe(toHex(xchachaEncrypt(key, packed.subarray(0, 24), pt, aad)));
    expect(toHex(aeadSealPacked(key, pt, aad).subarray(0, 24))).not.toBe(toHex(packed.subarray(0, 24)));
    // A blob written by hand in that layout before (the draft's vector behind its nonce) opens.
    const v = vectors.xchacha20poly1305;
    const old = new Uint8Array([...hex(v.nonce), ...hex(v.ciphertext + v.tag)]);
    expect(new TextDecoder().decode(aeadOpenPacked(hex(v.key), old, hex(v.aad)))).toBe(v.plaintext);
    expect(toHex(aeadOpenPacked(key, packed, aad))).toBe(toHex(pt));
    expect(refusal(() => aeadOpenPacked(key, packed.subarray(0, 30), aad))).toEqual({ code: "LIAISON_DECRYPT_FAILED", status: 422 });
  });

  it("hashes a signed item exactly as an RFC 9162 leaf of type ‖ 0x00 ‖ bytes", () => {
    const bytes = randomBytes(300);
    expect(toHex(signedLeaf("envelope", bytes))).toBe(toHex(leafHash(new Uint8Array([...new TextEncoder().encode("liaison.v1.envelope"), 0, ...bytes]))));
  });

  it("never hands out the same random bytes twice", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5_000; i++) seen.add(toHex(randomBytes(16)));
    expect(seen.size).toBe(5_000);
  });

  it("Ed25519 signs RFC 8032 tests 1 and 2 identically on node:crypto and @noble/curves", () => {
    for (const c of vectors.ed25519.cases) {
      const kp: KeyPair = { keyId: "t", use: "sig", publicKey: hex(c.publicKey), secretKey: hex(c.secretKey) };
      const sig = new Ed25519Signer(kp).sign(hex(c.message));
      expect(toHex(sig)).toBe(c.signature);
      expect(toHex(ed25519.sign(hex(c.message), hex(c.secretKey)))).toBe(c.signature);
      expect(ed25519Verify(hex(c.publicKey), hex(c.message), sig)).toBe(true);
      expect(ed25519.verify(sig, hex(c.message), hex(c.publicKey))).toBe(true);
      sig[0] = (sig[0] ?? 0) ^ 1;
      expect(ed25519Verify(hex(c.publicKey), hex(c.message), sig)).toBe(false);
    }
  });

  it("X25519 agrees with RFC 7748 §6.1 on node:crypto and @noble/curves", () => {
    const v = vectors.x25519;
    const alice = createPrivateKey({ key: { kty: "OKP", crv: "X25519", d: Buffer.from(v.alicePrivate, "hex").toString("base64url"), x: Buffer.from(v.alicePublic, "hex").toString("base64url") }, format: "jwk" });
    expect(toHex(x25519(alice, hex(v.bobPublic)))).toBe(v.shared);
    expect(toHex(nobleX25519.getSharedSecret(hex(v.bobPrivate), hex(v.alicePublic)))).toBe(v.shared);
  });

  it("refuses an X25519 agreement with a low-order public key", () => {
    const { encryption } = generateContactPointKeys("BE");
    const k = encryption[0] as KeyPair;
    const key = createPrivateKey({ key: { kty: "OKP", crv: "X25519", d: Buffer.from(k.secretKey).toString("base64url"), x: Buffer.from(k.publicKey).toString("base64url") }, format: "jwk" });
    expect(() => x25519(key, new Uint8Array(32))).toThrow(LiaisonError);
  });

  it("HKDF-SHA256 matches RFC 5869 A.1 on node:crypto and @noble/hashes", () => {
    const v = vectors.hkdf;
    expect(toHex(new Uint8Array(hkdfSync("sha256", hex(v.ikm), hex(v.salt), hex(v.info), v.length)))).toBe(v.okm);
    expect(toHex(hkdf(sha256, hex(v.ikm), hex(v.salt), hex(v.info), v.length))).toBe(v.okm);
    // hkdf32 is the same construction with a text info.
    const ours = hkdf32(hex(v.ikm), hex(v.salt), "liaison");
    expect(toHex(ours)).toBe(toHex(hkdf(sha256, hex(v.ikm), hex(v.salt), new TextEncoder().encode("liaison"), 32)));
  });
});

/** The code and HTTP status an operation fails with. */
function refusal(fn: () => unknown): { code: string; status: number } {
  try {
    fn();
  } catch (err) {
    if (err instanceof LiaisonError) return { code: err.code, status: err.status };
    throw err;
  }
  throw new Error("expected a LiaisonError");
}

describe("length guards: our own key material is an internal fault, a sender's bytes are refused", () => {
  it("answers a wrong-length key of Liaison's own with LIAISON_INTERNAL (500), not a client error", () => {
    const internal = { code: "LIAISON_INTERNAL", status: 500 };
    expect(refusal(() => xchachaEncrypt(randomBytes(31), randomBytes(24), randomBytes(8), randomBytes(0)))).toEqual(internal);
    expect(refusal(() => xchachaDecrypt(randomBytes(33), randomBytes(24), randomBytes(32), randomBytes(0)))).toEqual(internal);
    expect(refusal(() => new BlindIndexer(randomBytes(16)))).toEqual(internal);
    const k = generateContactPointKeys("BE").signing;
    expect(refusal(() => privateKeyObject({ ...k, secretKey: k.secretKey.subarray(0, 31) }))).toEqual(internal);
  });

  it("refuses a sender's malformed key bytes in an envelope with LIAISON_DECRYPT_FAILED (422)", () => {
    const nl = generateContactPointKeys("NL");
    const mine = nl.encryption[0] as KeyPair;
    const header = pb.EnvelopeHeader.encode({ id: "bad-key", sender: "BE", recipients: ["NL"], kind: pb.MessageKind.MESSAGE_KIND_REQUEST, createdAtMs: 1 }).finish();
    const body = aeadSeal(randomBytes(32), randomBytes(10), header);
    const eph = generateKeyPairSync("x25519");
    const ephPublic = new Uint8Array(Buffer.from(eph.publicKey.export({ format: "jwk" }).x ?? "", "base64url"));
    const wrapWith = (contentKey: Uint8Array, ephemeralPublicKey = ephPublic) => {
      const w = aeadSeal(wrapKeyFrom(x25519(eph.privateKey, mine.publicKey), ephPublic, mine.publicKey), contentKey, header);
      return pb.SealedContent.create({ header, keys: [{ recipient: "NL", keyId: mine.keyId, ephemeralPublicKey, nonce: w.nonce, wrapped: w.ciphertext }], nonce: body.nonce, ciphertext: body.ciphertext });
    };
    const opener = new Opener("NL", nl.encryption);
    const refused = { code: "LIAISON_DECRYPT_FAILED", status: 422 };
    // A content key of 16 bytes, wrapped correctly: the sender's fault.
    expect(refusal(() => opener.open(wrapWith(randomBytes(16))))).toEqual(refused);
    // An ephemeral public key of 31 bytes.
    expect(refusal(() => opener.open(wrapWith(randomBytes(32), ephPublic.subarray(0, 31))))).toEqual(refused);
    // A nonce of 23 bytes.
    expect(refusal(() => xchachaDecrypt(randomBytes(32), randomBytes(23), randomBytes(32), randomBytes(0)))).toEqual(refused);
  });
});

describe("envelopes", () => {
  const be = generateContactPointKeys("BE");
  const nl = generateContactPointKeys("NL");
  const de = generateContactPointKeys("DE");
  const verifier = new BatchVerifier(lookupFor(be, nl, de));

  it("opens at each recipient and at no one else", () => {
    const env = makeEnvelope(be, [nl, de], "for NL and DE");
    expect(receive(env, nl, verifier).body).toBe("for NL and DE");
    expect(receive(env, de, verifier).body).toBe("for NL and DE");
    expect(() => receive(env, be, verifier)).toThrow(/LIAISON_DECRYPT_FAILED|has no key/);
  });

  it("rejects every single-byte change of a small envelope", () => {
    const env = makeEnvelope(be, [nl], "x");
    expect(receive(env, nl, verifier).body).toBe("x");
    let accepted = 0;
    for (let i = 0; i < env.length; i++) {
      const bad = new Uint8Array(env); // a copy: on a Buffer, slice() would be a view
      bad[i] = (bad[i] ?? 0) ^ 0xff;
      try {
        receive(bad, nl, verifier);
        accepted++;
      } catch {
        // rejected, as it must be
      }
    }
    expect(env.length).toBeGreaterThan(200);
    expect(accepted).toBe(0);
  });

  it("does not open a wrapped key or a ciphertext moved into another envelope", () => {
    const a = decodeEnvelope(pb.Envelope.decode(makeEnvelope(be, [nl], "first", "a")));
    const b = decodeEnvelope(pb.Envelope.decode(makeEnvelope(be, [nl], "second", "b")));
    const opener = new Opener("NL", nl.encryption);
    const keyMoved = pb.SealedContent.create({ ...b.sealed, keys: a.sealed.keys });
    expect(() => opener.open(keyMoved)).toThrow(/LIAISON_DECRYPT_FAILED|authentication/);
    const bodyMoved = pb.SealedContent.create({ ...b.sealed, nonce: a.sealed.nonce, ciphertext: a.sealed.ciphertext });
    expect(() => opener.open(bodyMoved)).toThrow(/authentication/);
  });

  it("refuses an envelope signed with another contact point's key as a forged sender", () => {
    const env = decodeEnvelope(pb.Envelope.decode(makeEnvelope(nl, [de])));
    expect(() => verifier.verify("envelope", env.envelope.sealed, env.envelope.signature, "BE")).toThrow(/LIAISON_FORGED_SENDER|not of BE/);
  });

  it("verifies a batch of envelopes with one signature and still catches one bad item", () => {
    const signer = new BatchSigner(new Ed25519Signer(be.signing));
    const items = Array.from({ length: 37 }, (_, i) => ({ type: "envelope" as const, bytes: new TextEncoder().encode(`item ${i}`) }));
    const sigs = signer.signMany(items);
    expect(new Set(sigs.map((s) => Buffer.from(s.signature as Uint8Array).toString("hex"))).size).toBe(1);
    items.forEach((it, i) => verifier.verify("envelope", it.bytes, sigs[i], "BE"));
    expect(() => verifier.verify("envelope", new TextEncoder().encode("item 99"), sigs[3], "BE")).toThrow(LiaisonError);
    // A receipt's signature does not verify an envelope with the same bytes (domain separation).
    const [r] = signer.signMany([{ type: "receipt", bytes: items[0]?.bytes ?? new Uint8Array() }]);
    expect(() => verifier.verify("envelope", items[0]?.bytes ?? new Uint8Array(), r, "BE")).toThrow(LiaisonError);
  });

  it("still opens the envelope kept in tests/vectors (wire format is stable)", () => {
    const sender = parseKeyFile(JSON.stringify(golden.senderKeyFile), "sender");
    const recipient = parseKeyFile(JSON.stringify(golden.recipientKeyFile), "recipient");
    const payload = receive(new Uint8Array(Buffer.from(golden.envelopeBase64, "base64")), recipient, new BatchVerifier(lookupFor(sender)));
    expect(payload.subject).toBe(golden.expected.subject);
    expect(payload.body).toBe(golden.expected.body);
  });
});

describe("key files", () => {
  it("writes keys readable only by their owner and refuses to read a file others can read", () => {
    const dir = mkdtempSync(join(tmpdir(), "liaison-keys-"));
    const file = join(dir, "keys.json");
    const keys = initKeyFile(file, "BE");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readKeyFile(file).signing.keyId).toBe(keys.signing.keyId);
    expect(() => initKeyFile(file, "BE")).toThrow(/already exists/);
    chmodSync(file, 0o644);
    expect(() => readKeyFile(file)).toThrow(/readable by others/);
  });

  it("refuses a key file whose key id does not match its public key", () => {
    const dir = mkdtempSync(join(tmpdir(), "liaison-keys-"));
    const file = join(dir, "keys.json");
    initKeyFile(file, "NL");
    const text = JSON.stringify(golden.senderKeyFile).replace(/"keyId":"BE\.sig\.[0-9a-f]+"/, '"keyId":"BE.sig.0000000000000000"');
    writeFileSync(file, text, { mode: 0o600 });
    expect(() => readKeyFile(file)).toThrow(/does not match its public key/);
  });
});
