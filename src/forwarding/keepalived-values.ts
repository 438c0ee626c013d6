// keepalived 2.2.7's value readers (lib/parser.c read_unsigned_func, read_int_func,
// read_decimal_unsigned_long_func; lib/utils.c inet_stosockaddr), so that a number or address it
// rejects is rejected here too, with the same range.

import { isIPv6 } from 'node:net';

export type Read<T> = { ok: true; value: T } | { ok: false; message: string };

const WHITE = ' \t\f\n\r\v';
const UINT_MAX = 4294967295;

/** keepalived timers are microseconds; read_timer takes seconds with up to 6 decimal places. */
export const TIMER_HZ = 1_000_000;

/** C strtoul/strtol in base 10: white space and a sign may lead; `end` is where conversion stopped (0 if none). */
function strto(str: string): { value: number; negative: boolean; end: number } {
  let i = 0;
  while (i < str.length && WHITE.includes(str[i]!)) i++;
  let negative = false;
  if (str[i] === '+' || str[i] === '-') {
    negative = str[i] === '-';
    i++;
  }
  const start = i;
  while (i < str.length && str[i]! >= '0' && str[i]! <= '9') i++;
  if (i === start) return { value: 0, negative: false, end: 0 };
  return { value: Number(str.slice(start, i)), negative, end: i };
}

export function readUnsigned(str: string, min: number, max: number): Read<number> {
  const offset = str.length - str.replace(/^[ \t\f\n\r\v]+/, '').length;
  if (str[offset] === '-') return { ok: false, message: `negative number '${str}'` };
  const { value, end } = strto(str.slice(offset));
  if (offset + end < str.length) return { ok: false, message: `invalid number '${str}'` };
  if (value > UINT_MAX) return { ok: false, message: `number '${str}' outside unsigned integer range` };
  if (value < min || value > max) return { ok: false, message: `number '${str}' outside range [${min}, ${max}]` };
  return { ok: true, value };
}

export function readInt(str: string, min: number, max: number): Read<number> {
  const r = strto(str);
  if (r.end < str.length) return { ok: false, message: `invalid number '${str}'` };
  const value = r.negative ? -r.value : r.value;
  if (value < -2147483648 || value > 2147483647) return { ok: false, message: `number '${str}' outside integer range` };
  if (value < min || value > max) return { ok: false, message: `number '${str}' outside range [${min}, ${max}]` };
  return { ok: true, value };
}

/**
 * read_timer / read_decimal_unsigned: seconds with up to `shift` decimal places, returned in units of
 * 10^-shift s (microseconds for timers). More decimal places are an error in keepalived -t.
 */
export function readDecimal(str: string, min: number, max: number, shift = 6): Read<number> {
  if (str[0] === '-') return { ok: false, message: `negative number '${str}'` };
  const dp = str.indexOf('.');
  const decimals = dp >= 0 ? str.length - dp - 1 : 0;
  if (decimals > shift) return { ok: false, message: `number '${str}' has too many decimal places` };
  const joined = (dp >= 0 ? str.slice(0, dp) + str.slice(dp + 1) : str) + '0'.repeat(shift - decimals);
  const { value, negative, end } = strto(joined);
  if (end < joined.length || negative) return { ok: false, message: `invalid number '${str}'` };
  if (value < min || value > max) {
    const f = (v: number) => (v / 10 ** shift).toFixed(shift);
    return { ok: false, message: `number '${str}' outside range [${f(min)}, ${f(max)}]` };
  }
  return { ok: true, value };
}

/** Seconds with up to 6 decimal places as microseconds, min and max in microseconds. */
export const readTimer = (str: string, minUs: number, maxUs = Number.MAX_SAFE_INTEGER) => readDecimal(str, minUs, maxUs, 6);

/** inet_pton(AF_INET): four decimal parts 0-255, no leading zeros. */
export function isIPv4(s: string): boolean {
  const part = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
  return new RegExp(`^${part}(\\.${part}){3}$`).test(s);
}

export type Family = 'inet' | 'inet6';

/**
 * inet_stosockaddr: an address (anything from a `-` or `/` on is ignored, as keepalived does) and an
 * optional port 1-65535. A port of 0 or 000 counts as no port (alloc_vs, alloc_rs).
 */
export function readSockaddr(ip: string, port?: string): Read<{ address: string; family: Family; port: number }> {
  const family: Family = ip.includes(':') ? 'inet6' : 'inet';
  let portNum = 0;
  if (port !== undefined && /[^0]/.test(port)) {
    const p = readUnsigned(port, 1, 65535);
    if (!p.ok) return p;
    portNum = p.value;
  }
  const cut = ip.search(/[-/]/);
  const address = cut >= 0 ? ip.slice(0, cut) : ip;
  if (family === 'inet' ? !isIPv4(address) : !isIPv6(address)) return { ok: false, message: `invalid address '${ip}'` };
  return { ok: true, value: { address, family, port: portNum } };
}

/** check_true_false: on/true/yes, off/false/no. */
export function readBool(str: string): boolean | null {
  if (['true', 'on', 'yes'].includes(str)) return true;
  if (['false', 'off', 'no'].includes(str)) return false;
  return null;
}
