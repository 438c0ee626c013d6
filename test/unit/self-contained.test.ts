// A clone of this repository stands on its own: no product file (src/, labs/, templates/, docs/,
// README.md, certs/README.md) refers to a path outside the repository, such as the course's shared
// folder beside it. Relative references are resolved from the file that makes them (and path.resolve /
// path.join calls from their base), so `../schema.json` in labs/exp1/lab.yaml or an import of
// '../util/paths.js' is fine, while '../shared/…' or path.resolve(packageRoot, '..', …) is not.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/util/paths.js';

const SCANNED = ['src', 'labs', 'templates', 'docs', 'README.md', 'certs/README.md'];
const BINARY = /\.(pem|crt|key|p12|png|jpe?g|gif|ico|gz|tgz|zip)$/i;

interface Escape {
  file: string;
  line: number;
  ref: string;
}

/** Places where `file` (relative to `root`) refers to something outside `root`. */
function escapesIn(file: string, text: string, root: string): Escape[] {
  const dir = path.join(root, path.dirname(file));
  const outside = (p: string) => {
    const rel = path.relative(root, p);
    return rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel);
  };
  const out: Escape[] = [];
  text.split('\n').forEach((line, i) => {
    const add = (ref: string) => out.push({ file, line: i + 1, ref });
    // The course's shared folder, by any spelling.
    for (const m of line.matchAll(/(?:\.\.\/)+shared\b[^\s'"`)]*|\bshared\/tutorial\b[^\s'"`)]*|\/work\/[^\s'"`)]*/g)) add(m[0]);
    // Relative paths that start a token (not `<workspace>/../x`, which is relative to something else).
    for (const m of line.matchAll(/(?<=^|[\s'"`(\[=<:,])((?:\.\.\/)+[^\s'"`)\]>,;]*)/g)) {
      if (outside(path.resolve(dir, m[1]!)) && !out.some((o) => o.line === i + 1 && o.ref.includes(m[1]!))) add(m[1]!);
    }
    // path.resolve(base, '..', 'x') / path.join(…): from the repository root when the base is, else from the file.
    for (const m of line.matchAll(/path\.(?:resolve|join)\(([^()]*)\)/g)) {
      const args = m[1]!.split(',').map((a) => a.trim());
      if (!args.includes("'..'")) continue;
      let p = /^(packageRoot|root|repoRoot)$/.test(args[0]!) ? root : dir;
      for (const a of args.slice(1)) {
        const lit = /^'([^']*)'$/.exec(a);
        if (!lit) break;
        p = path.resolve(p, lit[1]!);
      }
      if (outside(p)) add(m[0]);
    }
  });
  return out;
}

function productFiles(root: string): string[] {
  const walk = (rel: string): string[] => (statSync(path.join(root, rel)).isDirectory() ? readdirSync(path.join(root, rel)).flatMap((n) => walk(path.join(rel, n))) : [rel]);
  return SCANNED.filter((p) => existsSync(path.join(root, p)))
    .flatMap(walk)
    .filter((f) => !BINARY.test(f));
}

describe('the repository stands on its own', () => {
  it('no product file refers to a path outside it (file:line of each that does)', () => {
    const files = productFiles(packageRoot);
    expect(files.length).toBeGreaterThan(100);
    const found = files.flatMap((f) => escapesIn(f, readFileSync(path.join(packageRoot, f), 'utf8'), packageRoot)).map((e) => `${e.file}:${e.line}: ${e.ref}`);
    expect(found).toEqual([]);
  });

  it('the scan catches what it should and leaves in-repository references alone', () => {
    const root = '/repo';
    const scan = (file: string, text: string) => escapesIn(file, text, root).map((e) => `${e.line}: ${e.ref}`);
    // What the repository used to contain.
    expect(scan('src/guide/tutorial-ref.ts', "export const F = path.resolve(packageRoot, '..', 'shared', 'tutorial', 'haproxy-tutorial.zh.md');")).toEqual([
      "1: path.resolve(packageRoot, '..', 'shared', 'tutorial', 'haproxy-tutorial.zh.md')",
    ]);
    expect(scan('README.md', 'x\nThe topology ([haproxy-tutorial.zh.md](../shared/tutorial/haproxy-tutorial.zh.md) §3.1)')).toEqual(['2: ../shared/tutorial/haproxy-tutorial.zh.md']);
    expect(scan('src/labs/pitfalls.ts', '// known pitfalls (../shared/tutorial/errata.md), found in')).toEqual(['1: ../shared/tutorial/errata.md']);
    // Other ways out.
    expect(scan('docs/a.md', 'see [b](../../b.md)')).toEqual(['1: ../../b.md']);
    expect(scan('labs/exp1/lab.yaml', 'file: ../../../etc/passwd')).toEqual(['1: ../../../etc/passwd']);
    expect(scan('src/x.ts', "const t = '/work/shared/tutorial/haproxy-tutorial.zh.md';")).toEqual(['1: /work/shared/tutorial/haproxy-tutorial.zh.md']);
    expect(scan('src/x.ts', "const t = path.join(here, '..', '..', '..');")).toEqual(["1: path.join(here, '..', '..', '..')"]);
    // Inside the repository: fine.
    expect(scan('labs/exp1/lab.yaml', '# yaml-language-server: $schema=../schema.json')).toEqual([]);
    expect(scan('src/guide/index.ts', "import { loadLab } from '../labs/load.js';\nconst { upLab } = await import('../lifecycle/up.js');")).toEqual([]);
    expect(scan('src/util/paths.ts', "export const packageRoot = path.resolve(here, '..', '..');")).toEqual([]);
    expect(scan('src/labs/workspace-files.ts', '// backed up to <workspace>/../.backups/<exp>-<timestamp>/')).toEqual([]);
    expect(scan('README.md', 'see [certs/README.md](certs/README.md) and /etc/haproxy/certs/')).toEqual([]);
  });
});
