// Small IPv4/CIDR arithmetic: enough to choose lab subnets and address nodes inside them.
import { UsageError } from '../util/errors.js';

export interface Cidr {
  base: number; // network address as unsigned 32-bit
  bits: number;
}

export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new UsageError(`"${ip}" is not an IPv4 address`);
  }
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(text: string): Cidr {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(text.trim());
  if (!m || Number(m[2]) > 32) throw new UsageError(`"${text}" is not an IPv4 subnet`, { hint: 'Write it like 172.28.5.0/24.' });
  const bits = Number(m[2]);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (ipToInt(m[1]!) & mask) >>> 0, bits };
}

export function formatCidr(c: Cidr): string {
  return `${intToIp(c.base)}/${c.bits}`;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.bits);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

/** The address `index` inside the subnet, e.g. host(172.28.1.0/24, 10) = 172.28.1.10. */
export function host(c: Cidr | string, index: number): string {
  const cidr = typeof c === 'string' ? parseCidr(c) : c;
  if (index <= 0 || index >= size(cidr) - 1) throw new UsageError(`host ${index} does not fit in ${formatCidr(cidr)}`);
  return intToIp(cidr.base + index);
}

export function contains(c: Cidr | string, ip: string): boolean {
  const cidr = typeof c === 'string' ? parseCidr(c) : c;
  const n = ipToInt(ip);
  return n >= cidr.base && n < cidr.base + size(cidr);
}
