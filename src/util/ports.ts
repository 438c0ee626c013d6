// Who holds a local TCP port: asked before `lab up --publish` creates anything, so a taken port is one
// line naming the holder instead of a half-made lab and Docker's "port is already allocated".
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';

export interface PortHolder {
  /** e.g. `nc (pid 1234)`, or `another process` when /proc does not say. */
  what: string;
  pid?: number;
  /** For Docker's userland proxy: the container address the port forwards to. */
  containerIp?: string;
}

/** True when `host:port` can be bound now. */
export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** Socket inodes listening on `port` (IPv4 and IPv6), from /proc/net/tcp*. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN; the inode is the 10th field.
      if (f.length > 9 && f[3] === '0A' && parseInt(f[1]!.split(':')[1] ?? '', 16) === port) inodes.add(f[9]!);
    }
  }
  return inodes;
}

function holderOf(inodes: Set<string>): PortHolder | undefined {
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link = '';
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (!m || !inodes.has(m[1]!)) continue;
      let comm = 'a process';
      let cmdline: string[] = [];
      try {
        comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      } catch {
        /* gone meanwhile */
      }
      const ip = cmdline[cmdline.indexOf('-container-ip') + 1];
      return { what: `${comm} (pid ${pid})`, pid: Number(pid), containerIp: cmdline.includes('-container-ip') ? ip : undefined };
    }
  }
  return undefined;
}

/** undefined when 127.0.0.1:`port` is free, else who holds it (as far as /proc tells). */
export async function portHolder(port: number, host = '127.0.0.1'): Promise<PortHolder | undefined> {
  if (await portFree(port, host)) return undefined;
  return holderOf(listeningInodes(port)) ?? { what: 'another process' };
}
