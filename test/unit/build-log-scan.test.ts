import { describe, expect, it } from 'vitest';
import {
  classifyProblem,
  estimateEta,
  LogScanner,
  PackageClock,
  parseBuildrootLine,
  type BuildrootStep,
} from '../../electron/core/build/log-scan';

function scan(chunks: string[], firstLine = 0) {
  const problems: { line: number; text: string; rule: string }[] = [];
  const steps: { line: number; step: BuildrootStep }[] = [];
  const images: { line: number; current: number; total: number }[] = [];
  const s = new LogScanner(
    {
      problem: (line, text, rule) => problems.push({ line, text, rule }),
      buildroot: (line, step) => steps.push({ line, step }),
      imageStep: (line, current, total) => images.push({ line, current, total }),
    },
    firstLine,
  );
  for (const c of chunks) s.push(c);
  s.end();
  return { problems, steps, images, lines: s.lines };
}

describe('error rules', () => {
  it.each([
    ['make: *** [Makefile:18: out/minikube.iso] Error 2', 'make'],
    ['make[1]: *** [package/pkg-generic.mk:250: /mnt/out/buildroot/output/build/m4-1.4.19/.stamp_built] Error 2', 'make'],
    ['ERROR: podman-v1.9.3.tar.gz has wrong sha256 hash:', 'hash'],
    ['ERROR: No hash found for linux-6.6.95.tar.xz', 'error'],
    ['tar: rootfs.tar: Cannot write: No space left on device', 'disk-full'],
    ['make: stat: Makefile: Permission denied', 'permission'],
    ['/bin/sh: go: not found', 'command-not-found'],
    ['sh: 1: go: not found', 'command-not-found'],
    ['bash: line 1: go: command not found', 'command-not-found'],
    ["The command '/bin/sh -c exit 3' returned a non-zero code: 3", 'docker'],
    ['ERROR: The base image x:1 is not on the Docker engine and could not be pulled: …', 'pull'],
  ])('%s → %s', (line, rule) => {
    expect(classifyProblem(line)).toBe(rule);
  });

  it('leaves ordinary lines alone', () => {
    for (const line of ['>>> busybox 1.36.1 Building', 'checking for ERROR in -lfoo... no', 'warning: file not found in cache, fetching', 'make[1]: Leaving directory']) {
      expect(classifyProblem(line), line).toBeUndefined();
    }
  });
});

describe('buildroot progress lines', () => {
  it('reads package, version and step, an empty version, and global steps', () => {
    expect(parseBuildrootLine('>>> host-m4 1.4.19 Extracting')).toEqual({ pkg: 'host-m4', version: '1.4.19', step: 'Extracting' });
    expect(parseBuildrootLine('>>> linux 6.6.95 Installing to images directory')).toEqual({ pkg: 'linux', version: '6.6.95', step: 'Installing to images directory' });
    expect(parseBuildrootLine('>>> host-skeleton  Installing to host directory')).toEqual({ pkg: 'host-skeleton', step: 'Installing to host directory' });
    expect(parseBuildrootLine('>>>   Finalizing target directory')).toEqual({ step: 'Finalizing target directory' });
    expect(parseBuildrootLine('>>> ')).toBeUndefined();
  });
});

describe('LogScanner', () => {
  it('numbers lines from 0 across chunk boundaries and finds each kind once', () => {
    const log = [
      'Step 1/3 : FROM x\n',
      'hello\n>>> busy',
      'box 1.36.1 Extracting\nfoo\n',
      '\x1b[7m>>> busybox 1.36.1 Building\x1b[27m\r\n',
      'make: *** [all] Error 2\n',
      'no newline at the end: Permission denied',
    ];
    const r = scan(log);
    expect(r.images).toEqual([{ line: 0, current: 1, total: 3 }]);
    expect(r.steps).toEqual([
      { line: 2, step: { pkg: 'busybox', version: '1.36.1', step: 'Extracting' } },
      { line: 4, step: { pkg: 'busybox', version: '1.36.1', step: 'Building' } },
    ]);
    expect(r.problems).toEqual([
      { line: 5, text: 'make: *** [all] Error 2', rule: 'make' },
      { line: 6, text: 'no newline at the end: Permission denied', rule: 'permission' },
    ]);
    expect(r.lines).toBe(7);
  });

  it('gives the same answer whatever the chunking', () => {
    const text = Array.from({ length: 300 }, (_, i) =>
      i % 37 === 0 ? `>>> pkg${i} 1.0 Building` : i % 53 === 0 ? `ERROR: thing ${i} failed` : `plain line ${i} with some text`,
    ).join('\n');
    const whole = scan([text]);
    for (const size of [1, 7, 64, 1000]) {
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
      const r = scan(chunks);
      expect(r.steps).toEqual(whole.steps);
      expect(r.problems).toEqual(whole.problems);
      expect(r.lines).toBe(whole.lines);
    }
    expect(whole.steps.map((s) => s.line)).toEqual([0, 37, 74, 111, 148, 185, 222, 259, 296]);
    expect(whole.problems.map((p) => p.line)).toEqual([53, 106, 159, 212, 265]);
  });

  it('starts counting where it is told (following a log from the middle)', () => {
    expect(scan(['a\nERROR: b\n'], 100).problems).toEqual([{ line: 101, text: 'ERROR: b', rule: 'error' }]);
  });

  it('counts but does not scan a line longer than a megabyte', () => {
    const long = 'x'.repeat(600_000);
    const r = scan([long, long, 'ERROR: inside the long line\nERROR: after\n']);
    expect(r.problems).toEqual([{ line: 1, text: 'ERROR: after', rule: 'error' }]);
    expect(r.lines).toBe(2);
  });

  it('keeps up with a flood: a million lines in well under a second', () => {
    const chunk = Array.from({ length: 1000 }, (_, i) => `output line ${i} of a busy compiler with some ordinary text`).join('\n') + '\n';
    const s = new LogScanner({ problem: () => {}, buildroot: () => {}, imageStep: () => {} });
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) s.push(chunk);
    const ms = performance.now() - t0;
    expect(s.lines).toBe(1_000_000);
    expect(ms).toBeLessThan(1500);
  });
});

describe('PackageClock and the estimate', () => {
  it('times packages from first line to the next package, and global steps end the current one', () => {
    const c = new PackageClock(1000);
    c.onStep({ pkg: 'a', version: '1', step: 'Extracting' }, 1000);
    c.onStep({ pkg: 'a', version: '1', step: 'Building' }, 1500);
    c.onStep({ pkg: 'b', version: '2', step: 'Extracting' }, 3000);
    expect(c.currentPackage).toBe('b');
    expect(c.packagesDone).toBe(1);
    c.onStep({ step: 'Finalizing target directory' }, 4000);
    expect(c.currentPackage).toBeUndefined();
    c.finish(9000);
    expect(c.times()).toEqual([
      { name: 'a', ms: 2000, startMs: 0 },
      { name: 'b', ms: 1000, startMs: 2000 },
    ]);
    expect(c.packagesDone).toBe(2);
  });

  it('estimates from where the current package started last time', () => {
    const prev = {
      buildMs: 100_000,
      packageTimes: [
        { name: 'host-m4', ms: 10_000, startMs: 5_000 },
        { name: 'linux', ms: 60_000, startMs: 15_000 },
        { name: 'busybox', ms: 5_000, startMs: 75_000 },
      ],
    };
    // 20 s into linux, which started at 15 s and took 60 s last time: 100 - 15 - 20 = 65 s left.
    expect(estimateEta(prev, { elapsedMs: 40_000, currentPackage: 'linux', inCurrentMs: 20_000 })).toBe(65_000);
    // linux already took longer than last time: what followed it last time is left.
    expect(estimateEta(prev, { elapsedMs: 90_000, currentPackage: 'linux', inCurrentMs: 70_000 })).toBe(25_000);
    // Before the first package, or in a package the last build did not have: by elapsed time.
    expect(estimateEta(prev, { elapsedMs: 3_000, inCurrentMs: 0 })).toBe(97_000);
    expect(estimateEta(prev, { elapsedMs: 30_000, currentPackage: 'new-pkg', inCurrentMs: 1_000 })).toBe(70_000);
    expect(estimateEta(prev, { elapsedMs: 130_000, inCurrentMs: 0 })).toBe(0);
    expect(estimateEta(undefined, { elapsedMs: 1, inCurrentMs: 0 })).toBeUndefined();
  });
});
