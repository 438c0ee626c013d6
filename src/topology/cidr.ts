// Small IPv4/CIDR arithmetic: enough to choose lab subnets and address nodes inside them. Parsing,
// masking and matching are ipaddr.js's; this module keeps lab's own shape (a subnet as an unsigned
// 32-bit base and a prefix length, so the subnet chooser can step through a pool) and lab's errors.
//
// Only the four-part decimal form is accepted ("172.28.5.0", not "172.028.5.0", "0xac.28.5.0" or
// "172.28.1280"): ipaddr.js would read those other forms as octal, hex or packed numbers, and nobody
// types them on purpose.
import ipaddr from 'ipaddr.js';
import { UsageError } from '../util/errors.js';

export interface Cidr {
  base: number; // network address as unsigned 32-bit
  bits: number;
}

function parseIp(ip: string): ipaddr.IPv4 {
  if (!ipaddr.IPv4.isValidFourPartDecimal(ip)) throw new UsageError(`"${ip}" is not an IPv4 address`);
  return ipaddr.IPv4.parse(ip);
}

const toInt = (a: ipaddr.IPv4) => a.toByteArray().reduce((n, byte) => n * 256 + byte, 0);

export function ipToInt(ip: string): number {
  return toInt(parseIp(ip));
}

const fromInt = (n: number) => new ipaddr.IPv4([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);

export function intToIp(n: number): string {
  return fromInt(n).toString();
}

export function parseCidr(text: string): Cidr {
  const t = text.trim();
  const m = /^([^/]+)\/(\d{1,2})$/.exec(t);
  if (!m || !ipaddr.IPv4.isValidCIDRFourPartDecimal(t)) throw new UsageError(`"${text}" is not an IPv4 subnet`, { hint: 'Write it like 172.28.5.0/24.' });
  return { base: toInt(ipaddr.IPv4.networkAddressFromCIDR(t)), bits: Number(m[2]) };
}

export function formatCidr(c: Cidr): string {
  return `${intToIp(c.base)}/${c.bits}`;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.bits);
}

// Addresses are built from octets, not strings: the subnet chooser calls overlaps() up to 1024 times
// per network on the engine, and a string round trip made each call 3 µs instead of 0.17 µs.
const range = (c: Cidr): [ipaddr.IPv4, number] => [fromInt(c.base), c.bits];

export function overlaps(a: Cidr, b: Cidr): boolean {
  // Two CIDR blocks overlap exactly when one contains the other's network address.
  return fromInt(a.base).match(range(b)) || fromInt(b.base).match(range(a));
}

/** The address `index` inside the subnet, e.g. host(172.28.1.0/24, 10) = 172.28.1.10. */
export function host(c: Cidr | string, index: number): string {
  const cidr = typeof c === 'string' ? parseCidr(c) : c;
  if (index <= 0 || index >= size(cidr) - 1) throw new UsageError(`host ${index} does not fit in ${formatCidr(cidr)}`);
  return intToIp(cidr.base + index);
}

export function contains(c: Cidr | string, ip: string): boolean {
  const cidr = typeof c === 'string' ? parseCidr(c) : c;
  return parseIp(ip).match(range(cidr));
}
