// parseKeepalived against the real thing: the installed keepalived 2.2.7 (`keepalived -t -f`) on every
// fixture in test/fixtures/keepalived, and on every keyword of keepalived-keywords.ts. keepalived is
// installed on this project's machines and in CI; if it is missing these tests fail (they do not skip).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isValid, parseKeepalived } from '../../src/forwarding/keepalived-config.js';
import { readIncludeFromDisk } from '../../src/forwarding/keepalived-files.js';
import { ROOT_CONTEXT, type KeywordContext } from '../../src/forwarding/keepalived-keywords.js';
import { vrrpAddresses } from '../../src/topology/kinds/director.js';
import { director, keepalivedPath } from '../../src/topology/kinds/director.js';
import type { BuildContext } from '../../src/topology/kinds/kind.js';

const FIXTURES = path.resolve('test/fixtures/keepalived');
let tmp = '';
let iface = 'eth0';
let interfaces: string[] = [];

function keepalivedTest(file: string): { status: number; output: string } {
  const r = spawnSync('keepalived', ['-t', '-f', file], { encoding: 'utf8', timeout: 20_000 });
  if (r.error) throw new Error(`cannot run keepalived (${r.error.message}): install it (apt-get install keepalived); these tests compare the parser with it`);
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

beforeAll(() => {
  interfaces = readdirSync('/sys/class/net');
  // An interface listed can be gone a moment later: the e2e files beside the unit files create and
  // remove labs' veth pairs (seen: ENOENT here, and every test of this file skipped).
  const type = (n: string) => {
    try {
      return readFileSync(`/sys/class/net/${n}/type`, 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const ether = interfaces.filter((n) => n !== 'lo' && type(n) === '1');
  iface = ether.includes('eth0') ? 'eth0' : ether[0] ?? 'eth0';
  tmp = mkdtempSync(path.join(os.tmpdir(), 'lab-keepalived-'));
  cpSync(FIXTURES, tmp, { recursive: true });
  if (iface !== 'eth0') {
    for (const dir of ['valid', 'invalid']) {
      for (const f of readdirSync(path.join(tmp, dir)).filter((n) => n.endsWith('.conf'))) {
        const p = path.join(tmp, dir, f);
        writeFileSync(p, readFileSync(p, 'utf8').replace(/\beth0\b/g, iface));
      }
    }
  }
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const fixtures = (dir: string) => readdirSync(path.join(FIXTURES, dir)).filter((f) => f.endsWith('.conf')).sort();

it('keepalived is installed (every test here fails without it)', () => {
  expect(keepalivedTest('/dev/null').output).toBeDefined();
});

describe('parseKeepalived agrees with keepalived -t', () => {
  for (const dir of ['valid', 'invalid'] as const) {
    for (const name of fixtures(dir)) {
      it(`${dir}/${name}`, () => {
        const file = path.join(tmp, dir, name);
        const real = keepalivedTest(file);
        const parsed = parseKeepalived(readFileSync(file, 'utf8'), { file, readInclude: readIncludeFromDisk, interfaces });
        const errors = parsed.errors.filter((e) => e.severity === 'error').map((e) => `${path.basename(e.file)}:${e.line} ${e.message}`);
        // The fixture is where it says it is, and the parser says the same as keepalived.
        expect(real.status === 0, `keepalived -t on ${dir}/${name}:\n${real.output}`).toBe(dir === 'valid');
        expect(isValid(parsed), `keepalived -t exit ${real.status}:\n${real.output}\nparser: ${errors.join('\n') || 'no errors'}`).toBe(real.status === 0);
      });
    }
  }
});

describe('the lab\'s own keepalived.conf', () => {
  const subnets = { edge: '172.28.0.0/24', proxy: '172.28.1.0/24', web: '172.28.2.0/24', app: '172.28.3.0/24', office: '172.28.4.0/24' };
  for (const forwarding of ['nftables', 'ipvs'] as const) {
    for (const i of [0, 1]) {
      it(`passes keepalived -t and the parser (lvs${i + 1}, ${forwarding}), with the @IF placeholders resolved`, () => {
        const ctx: BuildContext = {
          lab: 'fw', experiment: 'exp2', forwarding, images: {}, subnets, ...vrrpAddresses(subnets),
          rootDir: '/', workspaceDir: '/w', certsDir: '/c', stateDir: '/s', domains: [], nginxTls: false, keepalived: 'lab', inodeOf: () => 1,
        };
        const conf = director.files!(ctx, i)[keepalivedPath(ctx, i)]!.replace(/@IF:[0-9.]+@/g, iface);
        const file = path.join(tmp, `lab-lvs${i + 1}-${forwarding}.conf`);
        writeFileSync(file, conf);
        const real = keepalivedTest(file);
        expect(real.status, real.output).toBe(0);
        expect(parseKeepalived(conf, { file, interfaces }).errors).toEqual([]);
      });
    }
  }
});

/** Parameters that make a block keyword's line acceptable (names of instances, addresses of servers). */
const BLOCK_ARGS: Record<string, string> = {
  vrrp_instance: 'VI', virtual_server: '127.0.0.1 80', real_server: '127.0.0.2 80', vrrp_sync_group: 'G', vrrp_script: 'S',
  track_file: 'T', vrrp_track_file: 'T', bfd_instance: 'B', track_group: 'TG', vrrp_track_process: 'P', virtual_server_group: 'VSG',
};

describe('keepalived-keywords.ts', () => {
  // One file per context with all its keywords, and a made-up keyword last: that one must be reported,
  // which shows keepalived read the whole file, and none of the real ones may be.
  const contexts: { path: string[]; ctx: KeywordContext }[] = [];
  (function walk(ctx: KeywordContext, p: string[]) {
    contexts.push({ path: p, ctx });
    for (const [name, sub] of ctx.blocks) walk(sub, [...p, name]);
  })(ROOT_CONTEXT, []);

  it.each(contexts.map((c) => [c.path.join(' > ') || '(top level)', c] as const))('%s: every keyword is known to keepalived, a made-up one is not', (_, { path: p, ctx }) => {
    const open = p.map((k) => `${k} ${BLOCK_ARGS[k] ?? ''} {`).join('\n');
    const close = p.map(() => '}').join('\n');
    const lines = [...ctx.keywords].map(([k, kind]) => (kind === 'plain' ? `${k} 1` : `${k} ${BLOCK_ARGS[k] ?? ''} {\n}`));
    const unknown = (out: string) => [...ctx.keywords.keys()].filter((k) => out.includes(`Unknown keyword '${k}'`));
    const file = path.join(tmp, `keywords-${p.join('-') || 'root'}.conf`);
    writeFileSync(file, `${open}\n${lines.join('\n')}\nzz_not_a_keyword 1\n${close}\n`);
    let out = keepalivedTest(file).output;
    if (!out.includes("Unknown keyword 'zz_not_a_keyword'")) {
      // keepalived stopped early (a handler exits on a missing parameter): one keyword per file instead.
      out = [...ctx.keywords].map(([k], i) => {
        writeFileSync(file, `${open}\n${lines[i]}\n${close}\n`);
        return keepalivedTest(file).output.includes(`Unknown keyword '${k}'`) ? `Unknown keyword '${k}'` : '';
      }).join('\n');
    }
    expect(unknown(out)).toEqual([]);
  });
});
