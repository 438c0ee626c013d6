// A student's name as a file name (results/<name>.json, junit/<name>.xml). Names come from rosters
// and submission folder names, so they can hold anything: `../x`, `a/b`, `.hidden`, `CON`, 300
// characters. The mapping keeps letters (any script: 张三 stays 张三), digits, `_` and `-`, and
// percent-encodes every other character's UTF-8 bytes, `%` included, so two different names never
// share a file. Over-long names are cut and suffixed with a hash of the whole name.
import { createHash } from 'node:crypto';

const KEEP = /[\p{L}\p{N}_-]/u;
const MAX_BYTES = 160;
/** Names Windows reserves for devices, in case the grades folder is copied there. */
const WINDOWS_DEVICE = /^(?:con|prn|aux|nul|com\d|lpt\d)$/i;

const pct = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

export function studentFileName(name: string): string {
  let out = '';
  for (const ch of name) out += KEEP.test(ch) ? ch : pct(ch);
  if (out === '') out = '%';
  if (WINDOWS_DEVICE.test(out)) out = pct(out[0]!) + out.slice(1);
  if (Buffer.byteLength(out) > MAX_BYTES) {
    let cut = '';
    for (const ch of out) {
      if (Buffer.byteLength(cut + ch) > MAX_BYTES - 18) break;
      cut += ch;
    }
    // A cut may end inside a %XX escape; the hash keeps the result unique either way.
    out = `${cut}~${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
  }
  return out;
}
