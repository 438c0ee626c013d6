// src/topology/cidr.ts on ipaddr.js: the same answers as the hand-written arithmetic it replaced (kept
// below as the oracle), on fixed cases and on thousands of random ones, and the same errors.
import { describe, expect, it } from 'vitest';
import { contains, formatCidr, host, intToIp, ipToInt, overlaps, parseCidr, size, type Cidr } from '../../src/topology/cidr.js';

/** The previous implementation, verbatim in behaviour, minus the error types. */
const oracle = {
  ipToInt(ip: string): number {
    const parts = ip.split('.').map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error('bad ip');
    return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
  },
  intToIp: (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.'),
  parseCidr(text: string): Cidr {
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(text.trim());
    if (!m || Number(m[2]) > 32) throw new Error('bad cidr');
    const bits = Number(m[2]);
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return { base: (oracle.ipToInt(m[1]!) & mask) >>> 0, bits };
  },
  overlaps: (a: Cidr, b: Cidr) => a.base < b.base + 2 ** (32 - b.bits) && b.base < a.base + 2 ** (32 - a.bits),
  contains: (c: Cidr, ip: string) => {
    const n = oracle.ipToInt(ip);
    return n >= c.base && n < c.base + 2 ** (32 - c.bits);
  },
};

// A small deterministic generator, so a failure can be reproduced.
let seed = 12345;
const rnd = (n: number) => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed % n;
};
const randomIp = () => [rnd(256), rnd(256), rnd(256), rnd(256)].join('.');
// Mostly near the lab's pool, so overlaps and containment are often true.
const nearIp = () => (rnd(2) ? `172.${28 + rnd(4)}.${rnd(256)}.${rnd(256)}` : randomIp());

describe('cidr (ipaddr.js)', () => {
  it('fixed cases', () => {
    expect(ipToInt('172.28.0.1')).toBe(0xac1c0001);
    expect(ipToInt('255.255.255.255')).toBe(0xffffffff);
    expect(intToIp(0xac1c0001)).toBe('172.28.0.1');
    expect(intToIp(0)).toBe('0.0.0.0');
    expect(parseCidr(' 172.28.5.7/24 ')).toEqual({ base: 0xac1c0500, bits: 24 });
    expect(parseCidr('10.1.2.3/0')).toEqual({ base: 0, bits: 0 });
    expect(parseCidr('10.1.2.3/32')).toEqual({ base: 0x0a010203, bits: 32 });
    expect(formatCidr(parseCidr('172.28.0.0/14'))).toBe('172.28.0.0/14');
    expect(size(parseCidr('172.28.0.0/14'))).toBe(262144);
    expect(host('172.28.1.0/24', 10)).toBe('172.28.1.10');
    expect(host(parseCidr('172.28.0.0/14'), 256 + 5)).toBe('172.28.1.5');
    expect(contains('172.28.0.0/14', '172.31.255.255')).toBe(true);
    expect(contains('172.28.0.0/14', '172.32.0.0')).toBe(false);
    expect(contains('0.0.0.0/0', '8.8.8.8')).toBe(true);
    expect(overlaps(parseCidr('172.30.0.0/16'), parseCidr('172.30.5.0/24'))).toBe(true);
    expect(overlaps(parseCidr('172.30.5.0/24'), parseCidr('172.30.6.0/24'))).toBe(false);
  });

  it('the same errors and hints', () => {
    expect(() => ipToInt('1.2.3')).toThrow('"1.2.3" is not an IPv4 address');
    expect(() => ipToInt('1.2.3.256')).toThrow('"1.2.3.256" is not an IPv4 address');
    expect(() => contains('10.0.0.0/8', 'x')).toThrow('"x" is not an IPv4 address');
    for (const bad of ['172.28.0.0', '172.28.0.0/33', '172.28.0.0/', 'fd00::/64', '172.28.0.0/24/1', '1.2.3.999/8', 'a.b.c.d/8']) {
      expect(() => parseCidr(bad), bad).toThrow(expect.objectContaining({ message: `"${bad}" is not an IPv4 subnet`, hint: 'Write it like 172.28.5.0/24.' }));
    }
    expect(() => host('172.28.1.0/24', 0)).toThrow('host 0 does not fit in 172.28.1.0/24');
    expect(() => host('172.28.1.0/24', 255)).toThrow('host 255 does not fit in 172.28.1.0/24');
  });

  it('agrees with the hand-written arithmetic on 5000 random subnets and addresses', () => {
    for (let i = 0; i < 5000; i++) {
      const a = `${nearIp()}/${rnd(33)}`;
      const b = `${nearIp()}/${8 + rnd(25)}`;
      const ip = nearIp();
      const [ca, cb] = [parseCidr(a), parseCidr(b)];
      expect(ca, a).toEqual(oracle.parseCidr(a));
      expect(ipToInt(ip), ip).toBe(oracle.ipToInt(ip));
      expect(intToIp(ipToInt(ip))).toBe(ip);
      expect(overlaps(ca, cb), `${a} ${b}`).toBe(oracle.overlaps(ca, cb));
      expect(contains(ca, ip), `${a} ${ip}`).toBe(oracle.contains(ca, ip));
      expect(formatCidr(ca)).toBe(`${oracle.intToIp(ca.base)}/${ca.bits}`);
    }
  });

  it('only the four-part decimal form: ipaddr.js would read a leading zero as octal, the old code as decimal; both are refused now', () => {
    expect(() => ipToInt('172.028.0.1')).toThrow('is not an IPv4 address');
    expect(() => parseCidr('172.028.0.0/16')).toThrow('is not an IPv4 subnet');
  });
});
