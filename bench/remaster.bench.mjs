// Benchmark: `isolab remaster` on a ~180 MB ISO whose gzip initrd holds a ~450 MB rootfs
// (scripts/make-bench-iso.sh, cached in .cache/bench/remaster-<hash>/), whole processes:
//  (a) append: one file changed inside the initrd (/boot/initrd/etc/motd), against the same
//      change by hand: xorriso -extract the initrd, a newc cpio of etc + etc/motd gzip'd and
//      appended (padded to 4 bytes), xorriso -map it back with -boot_image any replay.
//      Target: ≤ 1.2× the hand-made time, and under 10 s.
//  (b) repack (--repack): the merged rootfs rewritten as one gzip cpio, on both cores, against
//      `gzip -6` of the same rootfs as one uncompressed newc cpio. Target: ≤ 0.7×.
// ISO Lab runs cold (a fresh ISOLAB_HOME each run: the initrd is indexed first, as on a first
// remaster of a new ISO; the ratios use these) and warm (the index kept from an earlier run).
// Five (append) and three (repack) runs each, interleaved, medians; `sync` before each; the
// CPU time of each run is printed too, as the cores are shared and wall times swing with load. The outputs are checked (untimed) with `isolab cat`.
// Exits non-zero only when a command fails or an output is wrong, never on a missed target.
// Usage: node bench/remaster.bench.mjs [append|repack]   Env: ISOLAB_CLI (default bin/isolab.cjs)
import { spawnSync } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, readSync, closeSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const benchDir = path.join(root, '.cache', 'bench');
const runDir = path.join(benchDir, 'remaster-run');
const cli = process.env.ISOLAB_CLI ? path.resolve(process.env.ISOLAB_CLI) : path.join(root, 'bin', 'isolab.cjs');
const RUNS_APPEND = 5; // cheap, and the shared cores make single runs noisy
const RUNS_REPACK = 3;
const TIMEOUT_MS = 10 * 60 * 1000;
const APPEND_TARGET = 1.2;
const APPEND_ABS_MS = 10_000;
const REPACK_TARGET = 0.7;
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const wanted = (name) => only.length === 0 || only.includes(name);
const TEXT = `Remastered by the ISO Lab bench (${new Date().toISOString()})\n`;
const INNER = '/boot/initrd/etc/motd';

function fail(msg) {
  console.error(`remaster: ${msg}`);
  process.exit(1);
}

for (const [cmd, pkg] of [['xorriso', 'xorriso'], ['cpio', 'cpio'], ['gzip', 'gzip']]) {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) fail(`${cmd} not found (apt-get install ${pkg})`);
}

/**
 * Runs a whole process; returns its wall time in ms and the CPU time (user + system, ms) of it
 * and the children it waited for (bash's `times`), or ends the bench when it fails.
 */
function run(what, cmd, args, env = {}) {
  spawnSync('sync'); // the last run's output is not written back during this one
  const t = performance.now();
  const r = spawnSync('bash', ['-c', '"$@"; rc=$?; times >&3; exit $rc', 'bash', cmd, ...args], {
    cwd: runDir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    maxBuffer: 1 << 28,
    timeout: TIMEOUT_MS,
  });
  const ms = performance.now() - t;
  if (r.error || r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    fail(`${what} failed (${r.error ? r.error.message : `exit ${r.status ?? r.signal}`}): ${[cmd, ...args].join(' ')}\n${out}`);
  }
  // `times`: the shell's own user/system, then its children's: "0m1.234s 0m0.567s".
  const kids = (r.output[3]?.toString() ?? '').trim().split('\n')[1] ?? '';
  const cpu = [...kids.matchAll(/(\d+)m([\d.]+)s/g)].reduce((s, m) => s + (Number(m[1]) * 60 + Number(m[2])) * 1000, 0);
  cpuOf.set(what, [...(cpuOf.get(what) ?? []), cpu]);
  return { ms, cpu, stdout: r.stdout.toString() };
}
const cpuOf = new Map();
const cpuMedian = (what) => median(cpuOf.get(what) ?? [0]);
const bash = (what, script) => run(what, 'bash', ['-c', `set -euo pipefail; ${script}`]);
const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (n) => `${(n / 1e6).toFixed(0)} MB`;
const fmt = (ms) => `${ms.toFixed(0)} ms`;

// ------------------------------------------------------------------ the input
mkdirSync(benchDir, { recursive: true });
rmSync(runDir, { recursive: true, force: true });
mkdirSync(runDir, { recursive: true });
const made = spawnSync('bash', [path.join(root, 'scripts', 'make-bench-iso.sh'), benchDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
if (made.status !== 0) fail('scripts/make-bench-iso.sh failed (messages above)');
const fixtureDir = made.stdout.trim().split('\n').pop();
const iso = path.join(fixtureDir, 'bench.iso');
const cpio = path.join(fixtureDir, 'rootfs.cpio');
const info = JSON.parse(readFileSync(path.join(fixtureDir, 'info.json'), 'utf8'));

const help = spawnSync(process.execPath, [cli, 'remaster', '--help'], { encoding: 'utf8' });
if (help.status !== 0) {
  fail(`\`${path.relative(root, cli)} remaster --help\` failed: ${(help.stderr || help.stdout).trim().split('\n')[0]} (run npm run build)`);
}

const isoRel = path.relative(root, iso);
console.log(
  `remaster: ${isoRel} ${mb(info.isoBytes)} (initrd ${mb(info.initrdBytes)}: gzip -6 of a ${mb(info.cpioBytes)} newc cpio, ${info.entries} entries, ${mb(info.rootfsFileBytes)} of files), medians of ${RUNS_APPEND} (append) and ${RUNS_REPACK} (repack) interleaved runs; ${os.availableParallelism()} cores, load average ${os.loadavg()[0].toFixed(1)}`,
);

// ------------------------------------------------------------------ the runs
let homes = 0;
const last = {};
/** ISO Lab: cold = a fresh ISOLAB_HOME (nothing indexed yet), warm = one kept across runs. */
function ours(what, out, extra, cold) {
  rmSync(out, { force: true });
  const home = cold ? path.join(runDir, `home-cold-${homes++}`) : path.join(runDir, 'home-warm');
  if (cold) rmSync(home, { recursive: true, force: true });
  const r = run(what, process.execPath, [cli, 'remaster', iso, out, '--write', `${INNER}=${TEXT}`, ...extra, '--json'], { ISOLAB_HOME: home });
  if (cold) rmSync(home, { recursive: true, force: true });
  try {
    last[out] = JSON.parse(r.stdout);
  } catch {
    fail(`${what}: --json printed no JSON: ${r.stdout.slice(0, 300)}`);
  }
  return r.ms;
}

const handOut = path.join(runDir, 'out-hand.iso');
/** The append done by hand with xorriso, cpio and gzip, as one shell script. */
function byHand(what = 'the hand-made append') {
  rmSync(handOut, { force: true });
  return bash(
    what,
    `rm -rf tmp && mkdir -p tmp/tree/etc
xorriso -osirrox on -indev ${q(iso)} -extract /boot/initrd tmp/initrd 2>/dev/null
chmod u+w tmp/initrd
printf %s ${q(TEXT)} > tmp/tree/etc/motd
size=$(stat -c %s tmp/initrd); head -c $(( (4 - size % 4) % 4 )) /dev/zero >> tmp/initrd
(cd tmp/tree && printf 'etc\\netc/motd\\n' | cpio -o -H newc --quiet) | gzip >> tmp/initrd
xorriso -indev ${q(iso)} -outdev ${q(handOut)} -map tmp/initrd /boot/initrd -boot_image any replay 2>/dev/null
rm -rf tmp`,
  ).ms;
}

const gzipRef = () => bash('gzip -6', `gzip -6 < ${q(cpio)} > /dev/null`).ms;

/** Untimed: the output lists the changed file with the new text, and still boots like the input. */
function check(label, out) {
  const r = spawnSync(process.execPath, [cli, 'cat', out, INNER], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 24, env: { ...process.env, ISOLAB_HOME: path.join(runDir, 'home-check') } });
  if (r.status !== 0) fail(`${label}: \`isolab cat ${path.relative(root, out)} ${INNER}\` failed: ${r.stderr.toString().trim()}`);
  if (r.stdout.toString() !== TEXT) fail(`${label}: ${INNER} in ${path.relative(root, out)} is ${JSON.stringify(r.stdout.toString().slice(0, 200))}, not the text written`);
  const el = spawnSync('xorriso', ['-indev', out, '-report_el_torito', 'plain'], { encoding: 'utf8' });
  const boot = /El Torito img path :\s+1\s+\/isolinux\/isolinux\.bin/.test(el.stdout) && /boot-info-table/.test(el.stdout);
  if (!boot) fail(`${label}: ${path.relative(root, out)} lost its El Torito boot image or boot info table:\n${el.stdout}${el.stderr}`);
}

/** Untimed: size of /boot/initrd in an ISO, and whether it starts with the input's initrd bytes. */
function initrdOf(out) {
  const dest = path.join(runDir, `initrd-of-${path.basename(out)}`);
  rmSync(dest, { force: true });
  const r = spawnSync('xorriso', ['-osirrox', 'on', '-indev', out, '-extract', '/boot/initrd', dest], { encoding: 'utf8' });
  if (r.status !== 0) fail(`xorriso -extract /boot/initrd from ${out} failed: ${r.stderr}`);
  return dest;
}
function samePrefix(a, b, n) {
  const fa = openSync(a, 'r');
  const fb = openSync(b, 'r');
  const ba = Buffer.alloc(1 << 20);
  const bb = Buffer.alloc(1 << 20);
  try {
    for (let off = 0; off < n; off += ba.length) {
      const len = Math.min(ba.length, n - off);
      if (readSync(fa, ba, 0, len, off) !== len || readSync(fb, bb, 0, len, off) !== len) return false;
      if (!ba.subarray(0, len).equals(bb.subarray(0, len))) return false;
    }
    return true;
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
}

/** The level /boot/initrd of the last run's --json, which must have been written by `method`. */
function levelOf(out, method) {
  const l = last[out]?.levels?.find((x) => x.path === '/boot/initrd');
  if (!l) fail(`${path.relative(root, out)}: the --json result has no /boot/initrd level: ${JSON.stringify(last[out])}`);
  if (l.method !== method) fail(`${path.relative(root, out)}: /boot/initrd was written by ${l.method}, not ${method}: the bench would time the wrong thing`);
  return l;
}

/** Untimed, without ISO Lab's reader: what follows the input's bytes is zeros then a gzip newc cpio with etc/motd = TEXT. */
function checkSegment(initrd) {
  const r = spawnSync('bash', ['-c', `set -euo pipefail; tail -c +$((${info.initrdBytes} + 1)) ${q(initrd)} | perl -0777 -pe 's/^\\0+//' | gzip -dc | cpio -i --quiet --to-stdout etc/motd ./etc/motd`], { encoding: 'utf8' });
  if (r.status !== 0 || r.stdout !== TEXT) fail(`the appended segment of ${initrd} does not hold etc/motd with the new text (gzip -dc | cpio -i said ${JSON.stringify(r.stdout.slice(0, 200))} ${r.stderr.trim()})`);
}

const results = {};
const origInitrd = initrdOf(iso);

if (wanted('append')) {
  const out = path.join(runDir, 'out-append.iso');
  // Warm-up: the page cache, and the warm ISOLAB_HOME's index (by an open, and by a remaster).
  run('isolab ls /boot/initrd/etc', process.execPath, [cli, 'ls', iso, '/boot/initrd/etc'], { ISOLAB_HOME: path.join(runDir, 'home-warm') });
  ours('isolab remaster (append)', out, [], false);
  byHand('the hand-made append (warm-up)');
  const cold = [];
  const warm = [];
  const hand = [];
  for (let i = 0; i < RUNS_APPEND; i++) {
    cold.push(ours('isolab remaster (append, cold)', out, [], true));
    warm.push(ours('isolab remaster (append, warm)', out, [], false));
    hand.push(byHand());
  }
  check('append', out);
  check('hand-made append', handOut);
  const level = levelOf(out, 'append');
  const newInitrd = initrdOf(out);
  checkSegment(newInitrd);
  const kept = samePrefix(origInitrd, newInitrd, info.initrdBytes);
  const grew = statSync(newInitrd).size - info.initrdBytes;
  const handGrew = statSync(initrdOf(handOut)).size - info.initrdBytes;
  const h = median(hand);
  const ref = 'by hand (xorriso -extract /boot/initrd, cpio -o -H newc etc/motd | gzip >> initrd, xorriso -map … -boot_image any replay)';
  for (const [label, xs] of [['cold: fresh ISOLAB_HOME each run, the first remaster of this ISO', cold], ['warm: initrd index kept in ISOLAB_HOME', warm]]) {
    const m = median(xs);
    console.log(`remaster append (${label}): ours ${fmt(m)}, ${ref} ${fmt(h)}, ratio ${(m / h).toFixed(2)} (target ≤ ${APPEND_TARGET}, and < ${APPEND_ABS_MS / 1000} s: ${m < APPEND_ABS_MS ? 'yes' : 'no'})`);
  }
  console.log(
    `remaster append: output ${mb(statSync(out).size)}, initrd +${grew} B (by hand +${handGrew} B), original initrd bytes kept: ${kept ? 'yes' : 'NO'}, ${level.formatAfter}; ${INNER} reads back the new text in both [runs: cold ${cold.map(fmt).join(', ')}; warm ${warm.map(fmt).join(', ')}; by hand ${hand.map(fmt).join(', ')}; CPU (user+sys, medians) cold ${fmt(cpuMedian('isolab remaster (append, cold)'))}, warm ${fmt(cpuMedian('isolab remaster (append, warm)'))}, by hand ${fmt(cpuMedian('the hand-made append'))}]`,
  );
  results.append = { cold, warm, hand, cpu: { cold: cpuOf.get('isolab remaster (append, cold)'), warm: cpuOf.get('isolab remaster (append, warm)'), hand: cpuOf.get('the hand-made append') }, ratioCold: median(cold) / h, ratioWarm: median(warm) / h, target: APPEND_TARGET, absTargetMs: APPEND_ABS_MS, initrdGrowth: grew, handInitrdGrowth: handGrew, originalBytesKept: kept };
  rmSync(out, { force: true });
  rmSync(handOut, { force: true });
}

if (wanted('repack')) {
  const out = path.join(runDir, 'out-repack.iso');
  bash('reading the cpio', `cat ${q(cpio)} > /dev/null`); // page cache, as the ISO is after the warm-up
  if (!wanted('append')) run('isolab ls /boot/initrd/etc', process.execPath, [cli, 'ls', iso, '/boot/initrd/etc'], { ISOLAB_HOME: path.join(runDir, 'home-warm') });
  const cold = [];
  const warm = [];
  const gz = [];
  for (let i = 0; i < RUNS_REPACK; i++) {
    cold.push(ours('isolab remaster --repack (cold)', out, ['--repack'], true));
    warm.push(ours('isolab remaster --repack (warm)', out, ['--repack'], false));
    gz.push(gzipRef());
  }
  check('repack', out);
  const level = levelOf(out, 'repack');
  const newInitrd = initrdOf(out);
  const gt = spawnSync('gzip', ['-t', newInitrd], { encoding: 'utf8' });
  if (gt.status !== 0) fail(`gzip -t on the repacked initrd failed: ${gt.stderr.trim()}`);
  const g = median(gz);
  const ref = `gzip -6 < rootfs.cpio > /dev/null (${mb(info.cpioBytes)}, one core)`;
  for (const [label, xs] of [['cold: fresh ISOLAB_HOME each run', cold], ['warm: initrd index kept in ISOLAB_HOME', warm]]) {
    const m = median(xs);
    console.log(`remaster repack (${label}): ours ${fmt(m)}, ${ref} ${fmt(g)}, ratio ${(m / g).toFixed(2)} (target ≤ ${REPACK_TARGET}, both cores)`);
  }
  console.log(
    `remaster repack: output ${mb(statSync(out).size)}, initrd ${mb(statSync(newInitrd).size)} (input's ${mb(info.initrdBytes)}) as ${level.formatAfter}, ${level.entries} entries, gzip -t ok; ${INNER} reads back the new text [runs: cold ${cold.map(fmt).join(', ')}; warm ${warm.map(fmt).join(', ')}; gzip -6 ${gz.map(fmt).join(', ')}; CPU (user+sys, medians) cold ${fmt(cpuMedian('isolab remaster --repack (cold)'))}, warm ${fmt(cpuMedian('isolab remaster --repack (warm)'))}, gzip -6 ${fmt(cpuMedian('gzip -6'))}]`,
  );
  results.repack = { cold, warm, gzip: gz, cpu: { cold: cpuOf.get('isolab remaster --repack (cold)'), warm: cpuOf.get('isolab remaster --repack (warm)'), gzip: cpuOf.get('gzip -6') }, ratioCold: median(cold) / g, ratioWarm: median(warm) / g, target: REPACK_TARGET, initrdBytes: statSync(newInitrd).size };
}

console.log(`remaster: load average ${os.loadavg()[0].toFixed(1)} at the end (the cores are shared: a load above ${os.availableParallelism()} slows every run, and parallel compression most)`);
writeFileSync(path.join(benchDir, 'remaster.json'), JSON.stringify({ fixture: info, ...results }, null, 2));
rmSync(runDir, { recursive: true, force: true });
