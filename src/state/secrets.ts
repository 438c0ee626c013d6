// Per-lab secrets a teacher sets (today: the stats page password), kept beside the lab's state in
// .lab/<name>/secrets.json with mode 0600. Never in a label, a container's env, the engine or a
// command line (ps shows arguments): it comes from LAB_STATS_PASSWORD or --stats-password-file.
// Where it is set, lab writes it wherever the course says 123456 (tutorial 6.2's `stats auth
// admin:123456`): the files it copies into the workspace, the commands the guide runs, and the
// credentials the grader logs in with. Every byte lab prints passes the redactor (util/redact.ts).
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { stateDir, writeAtomic } from './store.js';
import { FileError, UsageError } from '../util/errors.js';

/** The course's stats login (tutorial 6.2), the default of every lab. */
export const COURSE_STATS_LOGIN = { user: 'admin', password: '123456' } as const;

export interface LabSecrets {
  statsPassword?: string;
}

export const secretsFile = (cwd: string, lab: string) => path.join(stateDir(cwd, lab), 'secrets.json');

/**
 * The lab's secrets; none when the file is absent. A damaged file is a FileError naming it: read as "no
 * password", the grader would log in with the course's 123456 while the student's HAProxy asks for the
 * teacher's, and every stats check would fail for no reason the student could see. `tolerant` (the
 * redactor's setup, and `lab up` given a new password that will replace the file) reads it as none.
 */
export function readSecrets(cwd: string, lab: string, opts: { tolerant?: boolean } = {}): LabSecrets {
  const file = secretsFile(cwd, lab);
  const damaged = (line: number | undefined, what: string) => {
    if (opts.tolerant) return {};
    throw new FileError(file, line, what, {
      hint: `Set the password again with \`LAB_STATS_PASSWORD=… lab up\` (or --stats-password-file), or delete the file to go back to the course's ${COURSE_STATS_LOGIN.password}.`,
    });
  };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    return damaged(undefined, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    // Node 20: "Unexpected token } in JSON at position 42"; the line is what an editor shows.
    const pos = /position (\d+)/.exec((e as Error).message);
    return damaged(pos ? text.slice(0, Number(pos[1])).split('\n').length : undefined, 'is not valid JSON');
  }
  const pw = v && typeof v === 'object' ? (v as Record<string, unknown>).statsPassword : undefined;
  if (pw === undefined) return {};
  if (typeof pw !== 'string' || !PASSWORD.test(pw)) {
    // Never the value itself: it may be most of the real password.
    const line = text.split('\n').findIndex((l) => l.includes('"statsPassword"')) + 1;
    return damaged(line || undefined, 'statsPassword is not 8 to 64 characters of letters, digits and . _ + = , @ % -');
  }
  return { statsPassword: pw };
}

/** Writes the secrets with mode 0600 (also when an older file had looser permissions). */
export function writeSecrets(cwd: string, lab: string, s: LabSecrets): void {
  const file = secretsFile(cwd, lab);
  writeAtomic(file, `${JSON.stringify(s, null, 2)}\n`, 0o600);
  // writeFileSync's mode is filtered by the umask and ignored for an existing tmp file: set it outright.
  chmodSync(file, 0o600);
}

// Letters, digits and a few marks that mean nothing to HAProxy's parser (no `#`, no space, no `:`,
// which ends the user name), to a shell (no quotes, `$`, `*`, `;`, `&`) or to a URL.
const PASSWORD = /^[A-Za-z0-9._+=,@%-]{8,64}$/;

/** A stats password as given; a UsageError naming where it came from when it would not work. */
export function checkStatsPassword(pw: string, from: string): string {
  if (!PASSWORD.test(pw)) {
    throw new UsageError(`${from}: the stats password must be 8 to 64 characters of letters, digits and . _ + = , @ % -`, {
      hint: 'Other characters would break `stats auth user:password` or the commands lab runs with it. Choose another, e.g. one from `openssl rand -base64 12 | tr -d /`.',
    });
  }
  if (pw === COURSE_STATS_LOGIN.password) throw new UsageError(`${from}: that is the course's default password`, { hint: 'Leave it unset to keep 123456.' });
  return pw;
}

/** The password the user gave for this run (file first, then LAB_STATS_PASSWORD); undefined when none. */
export function statsPasswordFrom(env: NodeJS.ProcessEnv, file?: string): string | undefined {
  if (file !== undefined) {
    if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`--stats-password-file ${file}: no such file`, { hint: 'Write the password alone on the first line of a file only you can read (chmod 600).' });
    const first = readFileSync(file, 'utf8').split(/\r?\n/)[0] ?? '';
    return checkStatsPassword(first.trim(), `--stats-password-file ${file}:1`);
  }
  const v = env.LAB_STATS_PASSWORD;
  return v ? checkStatsPassword(v, 'LAB_STATS_PASSWORD') : undefined;
}

/**
 * `text` with the course's stats login replaced by the lab's password, where one is set. The course
 * writes it as `admin:123456` everywhere (stats auth, curl -u), so the pair is what is replaced:
 * a bare 123456 elsewhere (a port, a weight) is left alone.
 */
export function withStatsPassword(text: string, pw: string | undefined): string {
  if (!pw) return text;
  // The pair whole: admin:1234567 is another password, and `$` in a replacement string is special.
  return text.replace(COURSE_LOGIN_RE, () => `${COURSE_STATS_LOGIN.user}:${pw}`);
}

// Ends where a word does (space, quote, `;`, `|`, `&`, `)`, a backslash, the end, or a colon then a
// space as in curl's `-w 'admin:123456: %{http_code}'`).
const COURSE_LOGIN_RE = new RegExp(`(?<![\\w.-])${COURSE_STATS_LOGIN.user}:${COURSE_STATS_LOGIN.password}(?=$|[\\s'"\`;|&)\\\\]|:(?:\\s|$))`, 'gm');

/** A course file's bytes as lab copies them into a workspace: the lab's password in place of the course's. */
export function courseFileBytes(src: string, pw: string | undefined): Buffer {
  const raw = readFileSync(src);
  if (!pw || !raw.includes(`${COURSE_STATS_LOGIN.user}:${COURSE_STATS_LOGIN.password}`)) return raw;
  return Buffer.from(withStatsPassword(raw.toString('utf8'), pw), 'utf8');
}

