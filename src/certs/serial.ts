// Random 128-bit serial numbers, DER-encoded as positive INTEGERs.
import { randomBytes } from 'node:crypto';

/** 128 random bits as a hex string forge writes verbatim into the INTEGER (a 00 prefix keeps it positive). */
export function randomSerialHex(): string {
  const bytes = randomBytes(16);
  // A leading 00 byte followed by a byte < 0x80 is not minimal DER; make the first byte non-zero.
  while (bytes[0] === 0) bytes[0] = randomBytes(1)[0]!;
  const hex = bytes.toString('hex');
  return bytes[0]! & 0x80 ? `00${hex}` : hex;
}
