// Which Debian mirror debootstrap should use: the one this machine's apt already uses.
import { readFileSync } from 'node:fs';

export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';

/**
 * The first `URIs:` of a deb822 .sources file whose stanza serves binary packages and is not the
 * security archive (debootstrap needs the main archive, not debian-security).
 */
export function parseDeb822Mirror(text: string): string | undefined {
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (name: string) =>
      new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi').exec(stanza.split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n'))?.[1]?.trim();
    const types = field('Types');
    if (types && !types.split(/\s+/).includes('deb')) continue;
    if (/^no$/i.test(field('Enabled') ?? '')) continue;
    const suites = (field('Suites') ?? '').split(/\s+/);
    if (suites.length > 0 && suites.every((s) => /-security$/.test(s))) continue;
    const uri = field('URIs')?.split(/\s+/)[0];
    if (uri && /^https?:\/\//.test(uri)) return uri.replace(/\/+$/, '');
  }
  return undefined;
}

/** The first `deb [options] URI suite …` line of a one-line-style sources.list that is not the security archive. */
export function parseSourcesListMirror(text: string): string | undefined {
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
    if (!m) continue;
    const [, uri, suite] = m;
    if (/-security$/.test(suite!) || !/^https?:\/\//.test(uri!)) continue;
    return uri!.replace(/\/+$/, '');
  }
  return undefined;
}

/** The mirror from /etc/apt (deb822 first, then sources.list), else deb.debian.org. */
export function debianMirror(files = { deb822: '/etc/apt/sources.list.d/debian.sources', list: '/etc/apt/sources.list' }): string {
  const read = (p: string) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  };
  const a = read(files.deb822);
  const fromDeb822 = a === undefined ? undefined : parseDeb822Mirror(a);
  if (fromDeb822) return fromDeb822;
  const b = read(files.list);
  return (b === undefined ? undefined : parseSourcesListMirror(b)) ?? DEFAULT_MIRROR;
}
