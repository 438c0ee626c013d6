// The CLI's own error messages, in-process: one line, a hint, the right exit code, never a stack trace.
import { describe, expect, it } from 'vitest';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { lab } from '../helpers/cli.js';

// No engine at this address: commands that need one must say so plainly.
const noEngine = () => ({ runtime: new DockerRuntime({ socketPath: '/nonexistent/docker.sock' }) });

describe('lab CLI errors', () => {
  it('names the known experiments for an unknown one, and suggests the closest', async () => {
    const r = await lab(['up', 'exp99'], noEngine());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown experiment "exp99"\nhint: /);
    expect(r.stderr).toMatch(/exp1, exp2/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const typo = await lab(['check', 'epx2'], noEngine());
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('Did you mean exp2?');
  });

  it('lab check of an unknown experiment says so, not "start it"', async () => {
    const r = await lab(['check', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown experiment "nope"/);
    expect(r.stderr).not.toContain('lab up nope');
  });

  it('rejects a malformed --subnet with the expected form', async () => {
    const r = await lab(['up', 'exp2', '--subnet', 'edge:10.0.0.0/24']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: --subnet edge:10.0.0.0/24: expected <network>=<cidr>');
    expect(r.stderr).toContain('hint: Networks are edge, proxy, web, app, office');
  });

  it('rejects a bad lab name', async () => {
    const r = await lab(['--name', 'Bad_Name', 'status']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: invalid lab name "Bad_Name"');
  });

  it('says how to start the engine when it is unreachable', async () => {
    const r = await lab(['status'], noEngine());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: cannot reach the Docker engine/);
    expect(r.stderr).toContain('hint:');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('prints usage for an unknown command and exits 2', async () => {
    const r = await lab(['upp']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'upp'");
    expect(r.stderr).toContain('(Did you mean up?)');
  });

  it('has --help for every verb, and prints the graph without an engine', async () => {
    const help = await lab(['up', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--yes');
    const g = await lab(['graph', 'exp2'], noEngine());
    expect(g.code).toBe(0);
    expect(g.stdout).toContain('graph TB');
  });
});
