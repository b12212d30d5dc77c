// Random bytes from the operating system's CSPRNG, drawn in blocks: one randomFillSync per 16 KiB
// instead of one per nonce or key (a call costs microseconds, which added up per message). Each
// byte is handed out once and the block is never reused.
import { randomFillSync } from "node:crypto";

const BLOCK = 16 * 1024;
let block = new Uint8Array(0);
let offset = 0;

export function randomBytes(n: number): Uint8Array {
  if (n > BLOCK / 4) return new Uint8Array(randomFillSync(Buffer.alloc(n)));
  if (offset + n > block.length) {
    block = new Uint8Array(randomFillSync(Buffer.allocUnsafe(BLOCK)));
    offset = 0;
  }
  const out = block.slice(offset, offset + n);
  block.fill(0, offset, offset + n);
  offset += n;
  return out;
}
