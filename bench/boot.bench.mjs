// boot: (1) from the API calls `isolab boot` makes (vm.create + vm.start) to the `login:`
// prompt on the console stream, versus a bare qemu-system-x86_64 with the same flags booting
// the same ISO to `login:` on its serial socket; runs alternate, medians of 3 each.
// Target: ours at most 1.1× bare. (2) console round trip on a running VM: a key sent with
// vm.input to its echo on the vm.console stream (through the dispatcher and its batcher, as
// the UI gets it), median of 50; target < 50 ms; compared with writing to the serial socket
// directly. Plain Node cannot import the TypeScript sources, so esbuild bundles the core.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTs } from './bundle-ts.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cacheDir = path.join(root, '.cache', 'bench');
const iso = path.join(root, '.cache', 'fixture', 'isolab-fixture.iso');
const RUNS = 3;
const ECHOES = 50;
// One vCPU and 256 MB: the fixture needs no more, and TCG boots it fastest that way.
const SPEC = { cpus: 1, memoryMb: 256, diskMb: 64 };

if (!existsSync(iso)) {
  console.error('boot: the fixture ISO is missing: bash scripts/make-fixture-iso.sh');
  process.exit(1);
}

function loadCore() {
  return loadTs("export { createLab } from './electron/core/lab'; export { qemuArgs } from './electron/core/vm/qemu-args';", 'vm-core');
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function call(lab, channel, args) {
  return lab.request(channel, args).then((o) => {
    if (!o.ok) throw new Error(`${channel}: ${o.error.message}`);
    return o.result;
  });
}

/** The console stream as the UI gets it; `text()` is everything so far. */
function subscribeConsole(lab, name) {
  let text = '';
  const waiters = new Set();
  const stop = lab.subscribe('vm.console', { name }, {
    batch: (items) => {
      text += items.join('');
      for (const w of waiters) w();
    },
    end: () => undefined,
  });
  const waitFor = (test, ms = 120_000) =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out; console: ${text.slice(-300)}`)), ms);
      const check = () => {
        if (test(text)) {
          clearTimeout(t);
          waiters.delete(check);
          resolve(Date.now());
        }
      };
      waiters.add(check);
      check();
    });
  return { text: () => text, waitFor, stop };
}

async function oursOnce(lab, n) {
  const name = `bench-boot-${process.pid}-${n}`;
  const t0 = Date.now();
  await call(lab, 'vm.create', { iso, name, ...SPEC });
  await call(lab, 'vm.start', { name });
  const con = subscribeConsole(lab, name);
  const at = await con.waitFor((t) => /login: $/.test(t));
  con.stop();
  await call(lab, 'vm.delete', { name });
  return at - t0;
}

/** The same argv qemu gets from ISO Lab, in a throwaway folder, timed from spawn. */
async function bareOnce(core, accel, n) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'isolab-bare-'));
  const disk = path.join(dir, 'disk.qcow2');
  spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, `${SPEC.diskMb}M`]);
  const args = core.qemuArgs({
    name: `bench-bare-${process.pid}-${n}`,
    arch: 'x86_64',
    accel,
    cpus: SPEC.cpus,
    memoryMb: SPEC.memoryMb,
    iso,
    disk,
    qmp: path.join(dir, 'qmp.sock'),
    qmpCtl: path.join(dir, 'qmp-ctl.sock'),
    serial: path.join(dir, 'serial.sock'),
    pidfile: path.join(dir, 'qemu.pid'),
  });
  const t0 = Date.now();
  const qemu = spawn('qemu-system-x86_64', args, { stdio: 'ignore' });
  const sockPath = path.join(dir, 'serial.sock');
  while (!existsSync(sockPath)) await sleep(2);
  const sock = net.createConnection(sockPath);
  let text = '';
  const at = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('bare qemu: no login prompt')), 120_000);
    sock.on('data', (d) => {
      text += d.toString('latin1');
      if (/login: $/.test(text)) {
        clearTimeout(t);
        resolve(Date.now());
      }
    });
  });
  sock.destroy();
  qemu.kill('SIGKILL');
  await new Promise((r) => qemu.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
  return at - t0;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

async function echoThroughLab(lab, name) {
  const con = subscribeConsole(lab, name);
  await sleep(200);
  const times = [];
  for (let i = 0; i < ECHOES; i++) {
    const ch = LETTERS[i % LETTERS.length];
    const before = con.text().length;
    const t0 = Date.now();
    await call(lab, 'vm.input', { name, data: ch });
    const at = await con.waitFor((t) => t.slice(before).includes(ch), 5000);
    times.push(at - t0);
  }
  await call(lab, 'vm.input', { name, data: '\x15' });
  con.stop();
  return median(times);
}

async function echoDirect(socketPath) {
  const sock = net.createConnection(socketPath);
  await new Promise((r) => sock.once('connect', r));
  let text = '';
  const waiters = new Set();
  sock.on('data', (d) => {
    text += d.toString('latin1');
    for (const w of waiters) w();
  });
  await sleep(200);
  const times = [];
  for (let i = 0; i < ECHOES; i++) {
    const ch = LETTERS[i % LETTERS.length];
    const before = text.length;
    const t0 = Date.now();
    sock.write(ch);
    await new Promise((resolve) => {
      const check = () => {
        if (text.slice(before).includes(ch)) {
          waiters.delete(check);
          resolve();
        }
      };
      waiters.add(check);
      check();
    });
    times.push(Date.now() - t0);
  }
  sock.write('\x15');
  sock.destroy();
  return median(times);
}

async function main() {
  const core = await loadCore();
  const home = mkdtempSync(path.join(os.tmpdir(), 'isolab-bench-boot-'));
  const env = { ...process.env, ISOLAB_HOME: home };
  const lab = core.createLab({ env });
  // The KVM probe runs once per host boot; done here so no timed run pays for it.
  const probe = await call(lab, 'vm.create', { iso, name: 'bench-probe', ...SPEC });
  await call(lab, 'vm.delete', { name: 'bench-probe' });
  const accel = probe.accel;
  console.log(`boot: accelerator ${accel}${probe.note ? ` (${probe.note})` : ''}; ${SPEC.cpus} vCPU, ${SPEC.memoryMb} MB`);

  const ours = [];
  const bare = [];
  for (let i = 0; i < RUNS; i++) {
    ours.push(await oursOnce(lab, i));
    bare.push(await bareOnce(core, accel, i));
    console.log(`  run ${i + 1}: ours ${ours[i]} ms, bare ${bare[i]} ms`);
  }
  const o = median(ours);
  const b = median(bare);
  const ratio = o / b;
  console.log(`boot-to-login: ours ${o} ms, bare qemu ${b} ms, ratio ${ratio.toFixed(2)} (target ≤ 1.1)`);

  // Console round trip on a running, logged-in VM.
  const name = `bench-echo-${process.pid}`;
  await call(lab, 'vm.create', { iso, name, ...SPEC });
  const vm = await call(lab, 'vm.start', { name });
  await call(lab, 'vm.login', { name, timeoutSeconds: 120 });
  const echoOurs = await echoThroughLab(lab, name);
  // Let go of the console so the socket can be used directly, with the same guest.
  await lab.ctx.vms.release(name);
  const echoBare = await echoDirect(vm.serial);
  console.log(`console-echo: ${echoOurs} ms (target < 50 ms)`);
  console.log(`console-echo: ours ${echoOurs} ms, direct socket ${echoBare} ms, ratio ${(echoOurs / Math.max(1, echoBare)).toFixed(2)}`);
  await call(lab, 'vm.delete', { name });
  await lab.ctx.vms.dispose();
  rmSync(home, { recursive: true, force: true });
  const ok = ratio <= 1.1 && echoOurs < 50;
  process.exit(ok ? 0 : 1);
}

main().catch((err) => {
  console.error(`boot: ${err.stack ?? err}`);
  process.exit(1);
});
