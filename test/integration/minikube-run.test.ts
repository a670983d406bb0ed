import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLab } from '../../electron/core/lab';

// minikube cannot run here (no hypervisor it accepts, no network), so a stand-in on PATH
// records what it was called with: what is tested is ISO Lab's side of the hand-off.
function fakeMinikube(script: string): NodeJS.ProcessEnv {
  const bin = mkdtempSync(path.join(os.tmpdir(), 'isolab-fake-minikube-'));
  writeFileSync(path.join(bin, 'minikube'), `#!/bin/sh\n${script}\n`);
  chmodSync(path.join(bin, 'minikube'), 0o755);
  const home = mkdtempSync(path.join(os.tmpdir(), 'isolab-minikube-home-'));
  return { ...process.env, PATH: `${bin}:${process.env.PATH}`, ISOLAB_HOME: home };
}

function run(env: NodeJS.ProcessEnv, iso: string, stopAfterMs?: number): Promise<{ text: string; error?: { code: string; message: string } }> {
  const lab = createLab({ env, adoptVms: false });
  return new Promise((resolve) => {
    let text = '';
    const stop = lab.subscribe('vm.minikubeRun', { iso }, {
      batch: (items) => (text += items.join('')),
      end: (error) => resolve({ text, error }),
    });
    if (stopAfterMs !== undefined) setTimeout(() => (stop(), resolve({ text })), stopAfterMs);
  });
}

describe('running minikube from the hand-off', () => {
  it('runs minikube start with the ISO as a file URL and streams its output', async () => {
    const env = fakeMinikube('echo "minikube $*"; echo "done" >&2');
    const r = await run(env, '/tmp/my builds/minikube.iso');
    expect(r.error).toBeUndefined();
    expect(r.text).toContain('$ minikube start --iso-url=file:///tmp/my%20builds/minikube.iso');
    expect(r.text).toContain('minikube start --iso-url=file:///tmp/my%20builds/minikube.iso\n');
    expect(r.text).toContain('done');
  });

  it('a failing minikube ends the stream with its exit code', async () => {
    const r = await run(fakeMinikube('echo "no driver found"; exit 5'), '/tmp/x.iso');
    expect(r.text).toContain('no driver found');
    expect(r.error).toMatchObject({ code: 'MINIKUBE_FAILED', message: expect.stringContaining('5') });
  });

  it('says so when minikube is not installed', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'isolab-minikube-home-'));
    const r = await run({ ...process.env, PATH: '/nonexistent', ISOLAB_HOME: home }, '/tmp/x.iso');
    expect(r.error).toMatchObject({ code: 'MINIKUBE_MISSING' });
  });

  it('leaving the stream interrupts minikube', async () => {
    const marker = path.join(mkdtempSync(path.join(os.tmpdir(), 'isolab-mk-')), 'interrupted');
    const env = fakeMinikube(`trap 'touch ${marker}; exit 130' INT; echo started; while true; do sleep 0.1; done`);
    const r = await run(env, '/tmp/x.iso', 1500);
    expect(r.text).toContain('started');
    await new Promise((res) => setTimeout(res, 800));
    expect(existsSync(marker)).toBe(true);
  });
});
