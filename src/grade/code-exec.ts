// Config directives that make a service run code the student wrote (or any program in the image).
// Grading runs each submission in a lab on the teacher's machine; a config that runs code would turn
// "grade this haproxy.cfg" into "run this student's program", so intake refuses such configs unless
// the experiment allows the rule. Everything else a config can do stays inside its container.
//
// Matching is conservative: directives are found after each service's own unquoting (config-words.ts),
// in every section and inside `.if` blocks whatever their condition, and a directive name HAProxy or
// keepalived would only know after variable expansion is refused too, because we cannot know what it
// expands to; keepalived's own `$NAME=value` parameters are expanded where they are used and checked.
// Plain `setenv`/`presetenv` are fine: a variable only runs code through a directive that is refused.
import { haproxyWords, keepalivedWords, nginxStatements } from './config-words.js';
import type { CodeFinding } from './types.js';
import { LAB_INCLUDE_VARIABLES } from '../topology/kinds/director.js';

export type ConfigKind = 'haproxy' | 'nginx' | 'keepalived';

/** Which service reads a workspace file, from its role folder (haproxy/, nginx/, keepalived/) or extension. */
export function configKind(rel: string): ConfigKind | undefined {
  const top = rel.split('/')[0];
  if (top === 'haproxy' && rel.endsWith('.cfg')) return 'haproxy';
  if (top === 'nginx' && rel.endsWith('.conf')) return 'nginx';
  if (top === 'keepalived' && rel.endsWith('.conf')) return 'keepalived';
  if (!rel.includes('/') && rel.endsWith('.cfg')) return 'haproxy';
  return undefined;
}

interface Rule {
  rule: string;
  why: string;
}

const HAPROXY: Record<string, Rule> = {
  program: { rule: 'haproxy:program', why: 'a `program` section makes the HAProxy master start an external program' },
  'lua-load': { rule: 'haproxy:lua', why: 'loads and runs Lua code inside HAProxy' },
  'lua-load-per-thread': { rule: 'haproxy:lua', why: 'loads and runs Lua code inside HAProxy' },
  'lua-prepend-path': { rule: 'haproxy:lua', why: 'adds a search path for Lua code run inside HAProxy' },
  'external-check': { rule: 'haproxy:external-check', why: 'runs an external program as a health check' },
  'insecure-fork-wanted': { rule: 'haproxy:fork', why: 'lets HAProxy start other programs (needed by external checks and Lua os.execute)' },
};

function haproxyFindings(file: string, text: string): CodeFinding[] {
  const out: CodeFinding[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const words = haproxyWords(raw);
    const [w0, w1] = words;
    if (!w0) return;
    const line = i + 1;
    if (w0.expands) {
      out.push({ file, line, directive: w0.text || raw.trim(), rule: 'haproxy:env-keyword', message: 'the directive name comes from an environment variable, so what it runs cannot be checked' });
      return;
    }
    const kw = w0.text.toLowerCase();
    // `option external-check` in a backend, `external-check command|path` and the global keyword.
    const key = kw === 'option' && w1?.text.toLowerCase() === 'external-check' ? 'external-check' : kw;
    const r = HAPROXY[key];
    if (r) out.push({ file, line, directive: key === kw ? w0.text : `option ${w1!.text}`, rule: r.rule, message: r.why });
  });
  return out;
}

function nginxRule(name: string): Rule | undefined {
  const n = name.toLowerCase();
  if (n.startsWith('perl')) return { rule: 'nginx:perl', why: 'runs Perl code inside Nginx (ngx_http_perl_module)' };
  if (n.startsWith('js_')) return { rule: 'nginx:njs', why: 'runs JavaScript inside Nginx (njs)' };
  if (n === 'load_module') return { rule: 'nginx:load-module', why: 'loads a shared library into Nginx' };
  if (n.startsWith('lua_') || n.includes('_by_lua')) return { rule: 'nginx:lua', why: 'runs Lua code inside Nginx (OpenResty)' };
  return undefined;
}

function nginxFindings(file: string, text: string): CodeFinding[] {
  return nginxStatements(text).flatMap((s) => {
    const r = nginxRule(s.words[0]!);
    return r ? [{ file, line: s.line, directive: s.words[0]!, rule: r.rule, message: r.why }] : [];
  });
}

function keepalivedRule(word: string): Rule | undefined {
  const w = word.toLowerCase();
  if (w.includes('notify')) return { rule: 'keepalived:notify', why: 'runs a script when a VRRP or real-server state changes' };
  if (w === 'misc_check' || w.startsWith('misc_')) return { rule: 'keepalived:misc-check', why: 'runs a script as a health check' };
  if (w.includes('script')) return { rule: 'keepalived:script', why: 'configures or runs scripts (vrrp_script, track_script, script_user, enable_script_security, startup/shutdown scripts)' };
  return undefined;
}

/** `$NAME` and `${NAME}` references, as keepalived's parameter substitution writes them. */
const KA_REF = /\$\{(\w+)\}|\$(\w+)/g;

function keepalivedFindings(file: string, text: string): CodeFinding[] {
  const out: CodeFinding[] = [];
  // lab's own include (/run/lab/lab.conf, exp7) defines addresses and interface names: plain values.
  const defs = new Map<string, string>(/include\s+\/run\/lab\/lab\.conf/.test(text) ? LAB_INCLUDE_VARIABLES.map((v) => [v, 'lab-value']) : []);
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    // `$NAME=value` defines a parameter; it only runs something where it is used.
    const def = /^\s*\$(\w+)=(.*)$/.exec(raw);
    if (def) {
      defs.set(def[1]!, def[2]!);
      return;
    }
    const words = keepalivedWords(raw);
    // A keyword is the first word of the line or the first after a brace (`vrrp_instance X { notify … }`).
    const keywords = words.filter((w, j) => (j === 0 || words[j - 1] === '{' || words[j - 1] === '}') && w !== '{' && w !== '}');
    for (const kw of keywords) {
      let expanded = kw;
      let unknown: string | undefined;
      // Substitute up to a few levels deep ($A=$B …); a name defined elsewhere (an include) cannot be checked.
      for (let depth = 0; depth < 8 && KA_REF.test(expanded); depth++) {
        KA_REF.lastIndex = 0;
        expanded = expanded.replace(KA_REF, (m, a: string | undefined, b: string | undefined) => {
          const v = defs.get((a ?? b)!);
          if (v === undefined) unknown ??= m;
          return v ?? '';
        });
      }
      KA_REF.lastIndex = 0;
      if (unknown) {
        out.push({ file, line, directive: kw, rule: 'keepalived:variable', message: `${unknown} is not defined in this file, so what the line runs cannot be checked` });
        continue;
      }
      const first = keepalivedWords(expanded)[0] ?? '';
      const r = keepalivedRule(first);
      if (r) out.push({ file, line, directive: kw, rule: r.rule, message: kw === first ? r.why : `${kw} expands to ${first}, which ${r.why}` });
    }
  });
  return out;
}

/** Every code-running directive in one file (none for files no service reads as config). */
export function findCodeExecution(file: string, text: string): CodeFinding[] {
  switch (configKind(file)) {
    case 'haproxy':
      return haproxyFindings(file, text);
    case 'nginx':
      return nginxFindings(file, text);
    case 'keepalived':
      return keepalivedFindings(file, text);
    default:
      return [];
  }
}

/** Every rule id findCodeExecution can report, for `allowCode` lists. */
export const CODE_RULES = [
  'haproxy:program', 'haproxy:lua', 'haproxy:external-check', 'haproxy:fork', 'haproxy:env-keyword',
  'nginx:perl', 'nginx:njs', 'nginx:load-module', 'nginx:lua',
  'keepalived:notify', 'keepalived:misc-check', 'keepalived:script', 'keepalived:variable',
] as const;

/** `true` allows everything; a list allows those rules. */
export type AllowCode = boolean | readonly string[];

export function isAllowed(f: CodeFinding, allow: AllowCode | undefined): boolean {
  return allow === true || (Array.isArray(allow) && allow.includes(f.rule));
}
