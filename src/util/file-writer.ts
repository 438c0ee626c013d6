// Every file `lab up` writes (seeded start files, rendered keepalived configs) goes through a writer,
// so a dry run can swap in the recording one and prove it changed nothing on disk.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { writeAtomic } from '../state/store.js';

export interface FileWriter {
  /** Writes a whole file (atomically), creating its folder. */
  write(file: string, content: string | Buffer): void;
  /** Copies a file into place when the destination does not exist yet. */
  copyIfMissing(src: string, dest: string): void;
  mkdir(dir: string): void;
}

export const diskWriter: FileWriter = {
  write: (file, content) => writeAtomic(file, content),
  copyIfMissing: (src, dest) => {
    if (existsSync(dest)) return;
    mkdirSync(path.dirname(dest), { recursive: true });
    copyFileSync(src, dest);
  },
  mkdir: (dir) => mkdirSync(dir, { recursive: true }),
};

export class RecordingWriter implements FileWriter {
  readonly recorded: string[] = [];
  write(file: string): void {
    this.recorded.push(`write ${file}`);
  }
  copyIfMissing(src: string, dest: string): void {
    if (!existsSync(dest)) this.recorded.push(`copy ${src} to ${dest}`);
  }
  mkdir(dir: string): void {
    if (!existsSync(dir)) this.recorded.push(`mkdir ${dir}`);
  }
}
