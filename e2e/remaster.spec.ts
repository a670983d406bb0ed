import { expect, test, type Locator, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pickerGo } from './helpers/picker';
import { rpc as rpcCall } from './helpers/rpc';
import { projectRoot, startServe, type Served } from './helpers/serve';

/**
 * Remaster in Chromium against the real `isolab serve`, xorriso and QEMU: the fixture ISO is
 * edited in Inspect (a text file in the editor, a file dropped from the "desktop", the boot
 * entry's command line), written as a new ISO, booted, and compared with the original.
 */

const fixtureIso = path.join(projectRoot, '.cache', 'fixture', 'isolab-fixture.iso');
const shots = path.join(projectRoot, 'docs', 'screenshots');
const BOOT_MS = 120_000;
const NEW_VERSION = 'isolab-remastered 1';
const DROPPED = 'hello from the e2e drop';

let served: Served;
let dir: string;
let input: string;
const rpc = (channel: string, args: unknown = {}) => rpcCall(served, channel, args);

const row = (page: Page, p: string) => page.locator(`[role="treeitem"][data-path="${p}"]`);
const tree = (page: Page) => page.getByTestId('tree');
const rows = (page: Page) => page.locator('.xterm-rows');

async function expandRow(page: Page, p: string) {
  await row(page, p).click();
  await tree(page).press('ArrowRight');
  await expect(row(page, p)).toHaveAttribute('aria-expanded', 'true');
}

/** A file "from the desktop": a DataTransfer built in the page, dropped with the events a real drop fires. */
async function dropFile(page: Page, target: Locator, name: string, text: string) {
  const dt = await page.evaluateHandle(
    ([n, t]) => {
      const d = new DataTransfer();
      d.items.add(new File([t], n, { type: 'text/plain' }));
      return d;
    },
    [name, text] as const,
  );
  await target.dispatchEvent('dragenter', { dataTransfer: dt });
  await target.dispatchEvent('dragover', { dataTransfer: dt });
  await target.dispatchEvent('drop', { dataTransfer: dt });
}

// A control that does not come is a failure to show, not a reason to wait out the whole test.
test.use({ actionTimeout: 30_000 });

test.beforeAll(async () => {
  test.setTimeout(15 * 60_000);
  execFileSync('bash', [path.join(projectRoot, 'scripts', 'make-fixture-iso.sh')], { cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  // A copy in a folder of its own: the new ISO goes next to it by default.
  dir = mkdtempSync(path.join(os.tmpdir(), 'isolab-e2e-remaster-'));
  input = path.join(dir, 'fixture.iso');
  copyFileSync(fixtureIso, input);
  mkdirSync(shots, { recursive: true });
  served = await startServe();
});

test.afterAll(async () => {
  test.setTimeout(120_000);
  if (served) {
    try {
      const list = await rpc('vm.list');
      for (const vm of (list.result as { name: string }[] | undefined) ?? []) {
        const del = await rpc('vm.delete', { name: vm.name });
        expect(del.ok, `deleting ${vm.name}: ${del.error?.message}`).toBe(true);
      }
    } finally {
      await served.stop();
    }
    const left = spawnSync('pgrep', ['-af', `qemu-system.*${served.home}/data/vms/`], { encoding: 'utf8' }).stdout.trim();
    expect(left).toBe('');
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('edits the fixture ISO, saves a new one, boots it and compares it with the original', async ({ page }) => {
  test.setTimeout(8 * 60_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  const out = path.join(dir, 'fixture-remastered.iso');
  const count = page.getByTestId('edit-count');

  await test.step('Edit mode on the open ISO', async () => {
    await page.goto(`${served.url}&image=${encodeURIComponent(input)}`);
    await expect(page.getByTestId('image-name')).toHaveText('fixture.iso');
    await page.getByTestId('edit-toggle').click();
    await expect(page.getByTestId('edit-toggle')).toHaveAttribute('aria-pressed', 'true');
    await expect(page.getByTestId('edit-bar')).toBeVisible();
    await expect(count).toHaveText('0');
    // Nothing to save yet.
    await expect(page.getByTestId('edit-save-as')).toBeDisabled();
  });

  await test.step('/etc/VERSION in the editor: change it and Save change (Ctrl+S)', async () => {
    await expandRow(page, '/boot');
    await expandRow(page, '/boot/initrd');
    await expandRow(page, '/boot/initrd/etc');
    await row(page, '/boot/initrd/etc/VERSION').click();
    const editor = page.getByTestId('file-editor');
    await expect(editor.locator('.cm-content')).toHaveText('isolab-fixture 1');
    await expect(editor.locator('.cm-lineNumbers')).toContainText('1');
    await expect(page.getByTestId('editor-save')).toBeDisabled();
    await editor.locator('.cm-content').click();
    await page.keyboard.press('Control+A');
    // The file ends with a newline, as it did.
    await page.keyboard.type(NEW_VERSION);
    await page.keyboard.press('Enter');
    await expect(editor).toHaveAttribute('data-dirty', 'true');
    await expect(page.getByTestId('editor-save')).toBeEnabled();
    await page.keyboard.press('Control+S');
    await expect(count).toHaveText('1');
    await expect(editor).toHaveAttribute('data-dirty', 'false');
    await expect(editor).toContainText('Changed in this edit');
    await expect(row(page, '/boot/initrd/etc/VERSION')).toHaveAttribute('data-mark', 'changed');
    // The size the tree shows is the new one: "isolab-remastered 1\n" is 20 bytes.
    await expect(row(page, '/boot/initrd/etc/VERSION').locator('.tree-size')).toHaveText('20 B');
    // Ctrl+F opens CodeMirror's search panel.
    await editor.locator('.cm-content').click();
    await page.keyboard.press('Control+F');
    await expect(editor.locator('.cm-search')).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(editor.locator('.cm-search')).toHaveCount(0);
  });

  await test.step('a file dropped from the desktop onto /boot/initrd/root is uploaded and added', async () => {
    // Folded, /etc makes room for /boot/initrd/root in the (virtualized) tree.
    await row(page, '/boot/initrd/etc').click();
    await tree(page).press('ArrowLeft');
    await dropFile(page, row(page, '/boot/initrd/root'), 'hello-e2e.txt', `${DROPPED}\n`);
    const upload = page.locator('[data-testid="upload"][data-dest="/boot/initrd/root/hello-e2e.txt"]');
    await expect(upload).toHaveAttribute('data-phase', 'done');
    await expect(count).toHaveText('2');
    await expandRow(page, '/boot/initrd/root');
    await expect(row(page, '/boot/initrd/root/hello-e2e.txt')).toHaveAttribute('data-mark', 'added');
    await row(page, '/boot/initrd/root/hello-e2e.txt').click();
    await expect(page.getByTestId('file-editor').locator('.cm-content')).toHaveText(DROPPED);
    await row(page, '/boot/initrd/root').click();
    await tree(page).press('ArrowLeft');
    await expandRow(page, '/boot/initrd/etc');
    await row(page, '/boot/initrd/etc/VERSION').click();
    await expect(page.getByTestId('file-editor').locator('.cm-content')).toHaveText(NEW_VERSION);
    await page.screenshot({ path: path.join(shots, 'remaster-edit.png') });
  });

  await test.step('Boot settings: the entry of isolinux.cfg gets isolab.remastered=1', async () => {
    await page.getByTestId('edit-boot-button').click();
    const entry = page.getByTestId('boot-entry');
    await expect(entry).toHaveCount(1);
    await expect(entry.getByTestId('boot-entry-label')).toHaveText('1');
    await expect(entry).toContainText('/isolinux/isolinux.cfg');
    const line = entry.getByTestId('boot-cmdline');
    await expect(line).toHaveValue('console=ttyS0 loglevel=3');
    // console=ttyS0 is there already: its helper has nothing to add.
    await expect(entry.getByTestId('boot-add-console')).toBeDisabled();
    await line.fill('console=ttyS0 loglevel=3 isolab.remastered=1');
    await entry.getByTestId('boot-apply').click();
    await expect(count).toHaveText('3');
    await expect(entry.getByTestId('boot-entry-original')).toHaveText('console=ttyS0 loglevel=3');
    await expect(line).toHaveValue('console=ttyS0 loglevel=3 isolab.remastered=1');
  });

  await test.step('Changes: three, each with Undo, and the text diff of VERSION', async () => {
    await page.getByTestId('edit-changes-button').click();
    const changes = page.getByTestId('edit-change');
    await expect(changes).toHaveCount(3);
    const version = page.locator('[data-testid="edit-change"][data-path="/boot/initrd/etc/VERSION"]');
    await expect(version.getByTestId('edit-change-level')).toHaveText('inside boot/initrd');
    await version.getByTestId('edit-change-diff').click();
    const diff = version.getByTestId('text-diff');
    await expect(diff.locator('[data-kind="del"]')).toHaveText(/isolab-fixture 1/);
    await expect(diff.locator('[data-kind="add"]')).toHaveText(/isolab-remastered 1/);
    await expect(page.locator('[data-testid="edit-change"][data-op="cmdline"]')).toContainText('isolab.remastered=1');
    await page.screenshot({ path: path.join(shots, 'remaster-changes.png') });
  });

  await test.step('a reload resumes the edit (the core keeps it)', async () => {
    await page.reload();
    await expect(page.getByTestId('image-name')).toHaveText('fixture.iso');
    await expect(page.getByTestId('edit-toggle')).toHaveAttribute('aria-pressed', 'true');
    await expect(count).toHaveText('3');
  });

  await test.step('Save as new ISO: next to the input by default, with progress, then the result card', async () => {
    await page.getByTestId('edit-save-as').click();
    const dialog = page.getByTestId('save-dialog');
    await expect(dialog.getByTestId('save-out')).toHaveValue(out);
    await expect(dialog.getByTestId('save-mode-auto')).toBeChecked();
    await dialog.getByTestId('save-start').click();
    const card = page.getByTestId('remaster-result');
    await expect(card).toBeVisible({ timeout: 120_000 });
    await expect(dialog).toBeHidden();
    expect(existsSync(out)).toBe(true);
    const sha = createHash('sha256').update(readFileSync(out)).digest('hex');
    await expect(card.getByTestId('remaster-out')).toHaveText(out);
    await expect(card.getByTestId('remaster-sha256')).toHaveText(sha);
    await expect(card.getByTestId('remaster-size')).toContainText(`${statSync(out).size.toLocaleString('en-US')} bytes`);
    const level = card.locator('[data-testid="remaster-level"][data-level="/boot/initrd"]');
    await expect(level).toHaveAttribute('data-method', 'append');
    await expect(level).toContainText('cpio+bzip2');
    await page.screenshot({ path: path.join(shots, 'remaster-result.png') });
  });

  await test.step('saving over the file asks first', async () => {
    await page.getByTestId('edit-save-as').click();
    const dialog = page.getByTestId('save-dialog');
    await dialog.getByTestId('save-start').click();
    await expect(dialog.getByTestId('save-replace-dialog')).toContainText('exists');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    await expect(dialog).toBeHidden();
  });

  await test.step('Boot it: a VM from the new ISO; log in as root and see the changes', async () => {
    await page.getByTestId('remaster-boot-it').click();
    await expect(page.getByRole('heading', { name: 'Boot', exact: true })).toBeVisible();
    await expect(page.getByTestId('console-vm-name')).toHaveText(/^fixture-remastered/, { timeout: 60_000 });
    await page.getByTestId('login-root').click();
    await expect(page.getByTestId('login-root')).toHaveText(/Logged in/, { timeout: BOOT_MS });
    await page.keyboard.type('cat /etc/VERSION /root/hello-e2e.txt /proc/cmdline');
    await page.keyboard.press('Enter');
    await expect(rows(page)).toContainText(NEW_VERSION, { timeout: 30_000 });
    await expect(rows(page)).toContainText(DROPPED);
    await expect(rows(page)).toContainText('isolab.remastered=1');
  });

  await test.step('Compare with the original: exactly those changes', async () => {
    await page.keyboard.press('Control+2');
    await page.getByTestId('remaster-compare').click();
    await expect(page.getByRole('heading', { name: 'Compare', level: 1 })).toBeVisible();
    await expect(page.getByTestId('diff-summary')).toBeVisible({ timeout: 60_000 });
    const change = (p: string) => page.locator(`[data-testid="change"][data-path="${p}"]`);
    await expect(change('/isolinux/isolinux.cfg')).toHaveAttribute('data-kind', 'changed');
    await expect(change('/boot/initrd')).toHaveAttribute('data-kind', 'changed');
    await expect(change('/boot/initrd/etc/VERSION')).toHaveAttribute('data-kind', 'changed');
    await expect(change('/boot/initrd/root/hello-e2e.txt')).toHaveAttribute('data-kind', 'added');
    await expect(page.getByTestId('change')).toHaveCount(4);
  });

  await test.step('Open in Inspect: the new ISO, with Edit mode off', async () => {
    await page.keyboard.press('Control+2');
    await page.getByTestId('remaster-open').click();
    await expect(page.getByTestId('image-name')).toHaveText('fixture-remastered.iso');
    await expect(page.getByTestId('edit-toggle')).toHaveAttribute('aria-pressed', 'false');
    await expect(page.getByTestId('remaster-result')).toHaveCount(0);
  });
});

test('changes entries from the menu and the keys; undo refuses what a later change needs; discard and a changed input', async ({ page }) => {
  test.setTimeout(4 * 60_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  const ops = path.join(dir, 'ops.iso');
  copyFileSync(fixtureIso, ops);
  const count = page.getByTestId('edit-count');
  const menu = page.getByTestId('entry-menu');

  await page.goto(`${served.url}&image=${encodeURIComponent(ops)}`);
  await expect(page.getByTestId('image-name')).toHaveText('ops.iso');
  // The keyboard shortcut turns Edit mode on.
  await page.keyboard.press('Control+Shift+E');
  await expect(page.getByTestId('edit-toggle')).toHaveAttribute('aria-pressed', 'true');
  await expect(count).toHaveText('0');
  await expandRow(page, '/boot');
  await expandRow(page, '/boot/initrd');

  await test.step('New folder from the context menu, then a file dropped into it', async () => {
    await row(page, '/boot/initrd/mnt').click({ button: 'right' });
    await expect(menu).toBeVisible();
    await expect(menu.locator('[role="menuitem"]')).toContainText(['Add a file from this machine…', 'Add a folder from this machine…', 'New folder…', 'Rename…', 'Permissions…', 'Owner…', 'Delete…']);
    await menu.locator('[data-action="mkdir"]').click();
    const dialog = page.getByTestId('edit-mkdir-dialog');
    await dialog.getByTestId('edit-dialog-input').fill('usb');
    await dialog.getByTestId('edit-dialog-ok').click();
    await expect(dialog).toBeHidden();
    await expect(count).toHaveText('1');
    await expandRow(page, '/boot/initrd/mnt');
    await expect(row(page, '/boot/initrd/mnt/usb')).toHaveAttribute('data-mark', 'added');
    await dropFile(page, row(page, '/boot/initrd/mnt/usb'), 'note.txt', 'in a new folder\n');
    await expect(count).toHaveText('2');
    await expandRow(page, '/boot/initrd/mnt/usb');
    await expect(row(page, '/boot/initrd/mnt/usb/note.txt')).toHaveAttribute('data-mark', 'added');
  });

  await test.step('a dropped file over the limit is refused before it is sent', async () => {
    // 257 parts of one 1 MiB blob: the browser shares their bytes, so this costs 1 MiB.
    const dt = await page.evaluateHandle(() => {
      const mib = new Blob([new Uint8Array(1 << 20)]);
      const d = new DataTransfer();
      d.items.add(new File(Array.from({ length: 257 }, () => mib), 'huge.img'));
      return d;
    });
    await row(page, '/boot/initrd/mnt/usb').dispatchEvent('drop', { dataTransfer: dt });
    const refused = page.locator('[data-testid="upload"][data-dest="/boot/initrd/mnt/usb/huge.img"]');
    await expect(refused).toHaveAttribute('data-phase', 'failed');
    await expect(refused.getByTestId('upload-error')).toContainText('at most');
    await expect(count).toHaveText('2');
  });

  await test.step('Undo of the folder is refused: the file in it needs it', async () => {
    await page.getByTestId('edit-changes-button').click();
    const mkdir = page.locator('[data-testid="edit-change"][data-op="mkdir"]');
    await mkdir.getByTestId('edit-change-undo').click();
    await expect(mkdir.getByTestId('edit-undo-error')).toContainText('later change');
    await expect(count).toHaveText('2');
    await page.getByTestId('edit-changes-button').click();
  });

  await test.step('F2 renames, Delete asks first, the menu sets permissions', async () => {
    await row(page, '/boot/initrd/mnt').click();
    await tree(page).press('ArrowLeft');
    await expandRow(page, '/boot/initrd/etc');
    await row(page, '/boot/initrd/etc/hostname').click();
    await tree(page).press('F2');
    const rename = page.getByTestId('edit-rename-dialog');
    await expect(rename.getByTestId('edit-dialog-input')).toHaveValue('hostname');
    await rename.getByTestId('edit-dialog-input').fill('hostname.old');
    await rename.getByTestId('edit-dialog-ok').click();
    await expect(row(page, '/boot/initrd/etc/hostname.old')).toHaveAttribute('data-mark', 'renamed');
    await expect(row(page, '/boot/initrd/etc/hostname')).toHaveCount(0);
    await expect(count).toHaveText('3');

    await row(page, '/boot/initrd/etc/fstab').click();
    await tree(page).press('Delete');
    const del = page.getByTestId('edit-delete-dialog');
    await expect(del).toContainText('/boot/initrd/etc/fstab');
    await del.getByRole('button', { name: 'Cancel' }).click();
    await expect(row(page, '/boot/initrd/etc/fstab')).toBeVisible();
    await expect(count).toHaveText('3');
    await tree(page).press('Delete');
    await del.getByTestId('edit-dialog-ok').click();
    await expect(row(page, '/boot/initrd/etc/fstab')).toHaveCount(0);
    await expect(count).toHaveText('4');

    await row(page, '/boot/initrd/etc/profile').click({ button: 'right' });
    await menu.locator('[data-action="chmod"]').click();
    const chmod = page.getByTestId('edit-chmod-dialog');
    await chmod.getByTestId('edit-dialog-input').fill('0600');
    await chmod.getByTestId('edit-dialog-ok').click();
    await expect(count).toHaveText('5');
    await expect(page.getByTestId('detail-mode')).toHaveText('-rw-------');
    await expect(row(page, '/boot/initrd/etc/profile')).toHaveAttribute('data-mark', 'changed');
  });

  await test.step('a file from this machine through the picker; the owner from the menu', async () => {
    const host = path.join(dir, 'motd.host');
    writeFileSync(host, 'from the host\n');
    await row(page, '/boot/initrd/etc').click({ button: 'right' });
    await menu.locator('[data-action="add-file"]').click();
    const picker = page.getByTestId('open-dialog');
    await pickerGo(picker, host);
    await expect(picker).toBeHidden();
    await expect(count).toHaveText('6');
    // Shown and selected once added; its size is known when the ISO is written.
    await expect(row(page, '/boot/initrd/etc/motd.host')).toHaveAttribute('data-mark', 'added');
    await expect(page.getByTestId('details-name')).toHaveText('motd.host');

    await row(page, '/boot/initrd/etc/profile').click({ button: 'right' });
    await menu.locator('[data-action="chown"]').click();
    const chown = page.getByTestId('edit-chown-dialog');
    await chown.getByTestId('edit-uid').fill('1000');
    await chown.getByTestId('edit-gid').fill('100');
    await chown.getByTestId('edit-dialog-ok').click();
    await expect(count).toHaveText('7');
    await expect(page.getByTestId('details-facts')).toContainText('1000 : 100');
  });

  await test.step('the input changes on disk: the edit says so and Save is refused', async () => {
    // Rebuilt in place: the same file name, other bytes.
    execFileSync('bash', ['-c', `printf 'x' | dd of=${JSON.stringify(ops)} bs=1 seek=40000 conv=notrunc status=none`]);
    await page.reload();
    await expect(page.getByTestId('edit-stale')).toBeVisible();
    await expect(page.getByTestId('edit-save-as')).toBeDisabled();
  });

  await test.step('Discard all asks first, then the tree is the input again', async () => {
    await page.getByTestId('edit-changes-button').click();
    await page.getByTestId('edit-discard').click();
    const confirm = page.getByTestId('discard-dialog');
    await expect(confirm).toContainText('7 changes');
    await confirm.getByTestId('discard-confirm').click();
    await expect(count).toHaveText('0');
    await expect(page.getByTestId('changes-empty')).toBeVisible();
  });
});

test('the tour’s last step on the sample path offers Edit mode and points at its toggle', async ({ page }) => {
  // The tour as it stands after the sample's five steps (the full run is tour-sample.spec.ts).
  const set = await rpc('settings.update', { tour: { active: true, path: 'sample', step: 'minikube', collapsed: false, checkout: dir, iso: input, done: [] } });
  expect(set.ok, set.error?.message).toBe(true);
  await page.goto(served.url);
  const tip = page.getByTestId('tour-dock').getByTestId('tour-remaster');
  await expect(tip).toContainText('Optional: change it without a rebuild');
  await expect(page.locator('[data-tour="edit-toggle"]')).toHaveCount(0);
  await tip.getByTestId('tour-show-edit').click();
  // Show me opens the tour's ISO in Inspect, where the toggle is, and rings and focuses it.
  const toggle = page.getByTestId('edit-toggle');
  await expect(page.getByTestId('image-name')).toHaveText('fixture.iso');
  await expect(toggle).toBeFocused();
  await expect(toggle).toHaveAttribute('data-tour-lit', '');
  const off = await rpc('settings.update', { tour: { active: false } });
  expect(off.ok).toBe(true);
});
