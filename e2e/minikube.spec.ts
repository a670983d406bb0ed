import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rpc as rpcCall } from './helpers/rpc';
import { projectRoot, startServe, type Served } from './helpers/serve';

// A stand-in minikube on PATH (the real one cannot run here): it prints what it was asked.
const bin = mkdtempSync(path.join(os.tmpdir(), 'isolab-e2e-minikube-'));
writeFileSync(path.join(bin, 'minikube'), '#!/bin/sh\necho "minikube was called with: $*"\necho "Done! kubectl is now configured"\n');
chmodSync(path.join(bin, 'minikube'), 0o755);

let served: Served;
let iso = '';

const rpc = (channel: string, args: unknown) => rpcCall(served, channel, args);

test.beforeAll(async () => {
  iso = execFileSync('bash', [path.join(projectRoot, 'scripts', 'make-fixture-iso.sh')], { encoding: 'utf8' }).trim().split('\n').pop()!;
  served = await startServe({ PATH: `${bin}:${process.env.PATH}` });
});
test.afterAll(async () => {
  await rpc('vm.delete', { name: 'handoff' }).catch(() => undefined);
  await served.stop();
});

test('the minikube hand-off runs minikube start with the ISO and shows its output', async ({ page }) => {
  const created = await rpc('vm.create', { iso, name: 'handoff', memoryMb: 512 });
  expect(created.ok, created.error?.message).toBe(true);
  await page.goto(served.url);
  await page.getByRole('button', { name: 'Boot' }).click();
  await page.locator('[data-testid="vm-row"][data-name="handoff"]').click();
  const card = page.getByTestId('minikube');
  await expect(card.getByTestId('minikube-command')).toHaveText(`minikube start --iso-url=file://${iso}`);
  await expect(card.getByTestId('minikube-path')).toContainText('minikube is installed');
  await card.getByTestId('minikube-run').click();
  await expect(card.getByTestId('minikube-output')).toContainText(`minikube was called with: start --iso-url=file://${iso}`);
  await expect(card.getByTestId('minikube-output')).toContainText('Done! kubectl is now configured');
  await expect(card.getByTestId('minikube-run')).toBeVisible();
});
