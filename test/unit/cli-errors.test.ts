// The CLI's own error messages: one line, a hint, the right exit code, never a stack trace.
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const cli = path.join(root, 'dist/cli/main.js');
// No engine at this address: commands that need one must say so plainly.
const env = { DOCKER_HOST: 'unix:///nonexistent/docker.sock', NO_COLOR: '1', LAB_PROGRESS: 'silent' };
const run = (...args: string[]) => execa('node', [cli, ...args], { reject: false, env, cwd: root });

beforeAll(async () => {
  await execa('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root });
}, 120_000);

describe('lab CLI errors', () => {
  it('names the known experiments for an unknown one', async () => {
    const r = await run('up', 'exp99');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown experiment "exp99"\nhint: Choose one of: exp1, exp2/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects a malformed --subnet with the expected form', async () => {
    const r = await run('up', 'exp2', '--subnet', 'edge:10.0.0.0/24');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('error: --subnet edge:10.0.0.0/24: expected <network>=<cidr>');
    expect(r.stderr).toContain('hint: Networks are edge, proxy, web, app');
  });

  it('rejects a bad lab name', async () => {
    const r = await run('--name', 'Bad_Name', 'status');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('error: invalid lab name "Bad_Name"');
  });

  it('says how to start the engine when it is unreachable', async () => {
    const r = await run('status');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^error: cannot reach the Docker engine/);
    expect(r.stderr).toContain('hint:');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('prints usage for an unknown command and exits 2', async () => {
    const r = await run('upp');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("unknown command 'upp'");
    expect(r.stderr).toContain('(Did you mean up?)');
  });

  it('has --help for every verb, and prints the graph without an engine', async () => {
    const help = await run('up', '--help');
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('--yes');
    const g = await run('graph', 'exp2');
    expect(g.exitCode).toBe(0);
    expect(g.stdout).toContain('graph TB');
  });
});
