import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FrameDemuxer } from '../../electron/core/build/build-container';
import { BuildLog } from '../../electron/core/build/build-log';
import { BuildHistory } from '../../electron/core/build/history';
import { LogFileIndex } from '../../electron/core/build/log-file';
import { findOutput } from '../../electron/core/build/output';
import type { BuildRecord } from '../../shared/build';

const tmp = (p: string) => mkdtempSync(path.join(os.tmpdir(), p));

function frame(type: number, text: string): Buffer {
  const body = Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = type;
  h.writeUInt32BE(body.length, 4);
  return Buffer.concat([h, body]);
}

describe('FrameDemuxer', () => {
  it('merges stdout and stderr frames, whatever the chunk boundaries', () => {
    const stream = Buffer.concat([frame(1, 'out 1\n'), frame(2, 'err 1\n'), frame(1, 'ü out 2\n'), frame(1, '')]);
    for (const size of [1, 3, 8, 9, 100]) {
      const got: Buffer[] = [];
      const d = new FrameDemuxer((b) => got.push(Buffer.from(b)));
      for (let i = 0; i < stream.length; i += size) d.push(stream.subarray(i, i + size));
      expect(Buffer.concat(got).toString(), `chunk size ${size}`).toBe('out 1\nerr 1\nü out 2\n');
    }
  });

  it('gives one buffer per chunk however many frames it holds', () => {
    const many = Buffer.concat(Array.from({ length: 1000 }, (_, i) => frame(1, `line ${i}\n`)));
    let calls = 0;
    new FrameDemuxer(() => calls++).push(many);
    expect(calls).toBe(1);
  });

  it('passes raw bytes through when the stream is not multiplexed', () => {
    const got: string[] = [];
    const d = new FrameDemuxer((b) => got.push(b.toString()));
    d.push(Buffer.from('plain tty output\n'));
    d.push(Buffer.from('more\n'));
    expect(got.join('')).toBe('plain tty output\nmore\n');
  });
});

describe('LogFileIndex', () => {
  it('reads any window of a long file, and the unfinished last line only when asked', async () => {
    const file = path.join(tmp('isolab-logidx-'), 'build.log');
    const lines = Array.from({ length: 25_000 }, (_, i) => `line ${i}${i % 1000 === 0 ? ' ü' : ''}`);
    writeFileSync(file, `${lines.join('\n')}\npartial`);
    const idx = new LogFileIndex(file);
    await idx.refresh();
    expect(idx.total(false)).toBe(25_000);
    expect(idx.total(true)).toBe(25_001);
    expect(await idx.read(0, 3, false)).toEqual(['line 0 ü', 'line 1', 'line 2']);
    expect(await idx.read(12_998, 4, false)).toEqual(['line 12998', 'line 12999', 'line 13000 ü', 'line 13001']);
    expect(await idx.read(24_999, 5, false)).toEqual(['line 24999']);
    expect(await idx.read(24_999, 5, true)).toEqual(['line 24999', 'partial']);
    expect(await idx.read(30_000, 5, true)).toEqual([]);
  });

  it('indexes what was appended since', async () => {
    const file = path.join(tmp('isolab-logidx-'), 'build.log');
    writeFileSync(file, 'a\nb');
    const idx = new LogFileIndex(file);
    await idx.refresh();
    expect(idx.total(false)).toBe(1);
    writeFileSync(file, 'a\nb\nc\n');
    await idx.refresh();
    expect(idx.total(false)).toBe(3);
    expect(await idx.read(1, 10, false)).toEqual(['b', 'c']);
  });
});

describe('BuildLog', () => {
  it('writes the file, tells watchers, and keeps a tail that live text continues', async () => {
    const file = path.join(tmp('isolab-blog-'), 'build.log');
    const texts: string[] = [];
    const problems: number[] = [];
    const log = new BuildLog(file, {
      text: (t) => texts.push(t),
      problem: (line) => problems.push(line),
      buildroot: () => {},
      imageStep: () => {},
    });
    log.write(Buffer.from('one\ntwo\nERROR: three\nfo'));
    // A multi-byte character split across writes reaches watchers whole.
    const u = Buffer.from('ü');
    log.write(u.subarray(0, 1));
    log.write(u.subarray(1));
    const t = log.tail(2);
    expect(t).toEqual({ lines: ['two', 'ERROR: three'], start: 1, partial: 'foü' });
    expect(problems).toEqual([2]);
    await log.close();
    expect(texts.join('')).toBe('one\ntwo\nERROR: three\nfoü');
    const idx = new LogFileIndex(file);
    await idx.refresh();
    expect(await idx.read(0, 10, true)).toEqual(['one', 'two', 'ERROR: three', 'foü']);
  });
});

describe('BuildHistory', () => {
  const record = (id: string, startedAt: string): BuildRecord => ({
    id,
    recipe: 'minikube',
    arch: 'x86_64',
    checkout: '/c',
    image: 'img',
    startedAt,
    phase: 'done',
    logs: { image: '/x', build: '/y' },
    problems: [],
  });

  it('saves atomically, lists newest first, refuses ids that are not ids', async () => {
    const h = new BuildHistory(tmp('isolab-hist-'));
    const a = h.newId(new Date('2026-01-02T03:04:05Z'));
    expect(a).toMatch(/^20260102-030405-[a-z0-9]{4}$/);
    const b = h.newId(new Date('2026-01-03T00:00:00Z'));
    await Promise.all([h.save(record(a, '2026-01-02T03:04:05Z')), h.save(record(b, '2026-01-03T00:00:00Z'))]);
    await h.save({ ...record(a, '2026-01-02T03:04:05Z'), phase: 'failed' });
    mkdirSync(path.join(h.dir, 'not-a-build'));
    const list = await h.list();
    expect(list.map((r) => r.id)).toEqual([b, a]);
    expect(list[1]!.phase).toBe('failed');
    expect(() => h.folder('../../etc')).toThrow(/No build/);
    expect(await h.load('20990101-000000-zzzz')).toBeUndefined();
  });
});

describe('findOutput', () => {
  it('finds the newest match of the glob without walking deeper than it can match', async () => {
    const dir = tmp('isolab-out-');
    for (const f of ['out/minikube-amd64.iso', 'out/minikube-arm64.iso', 'out/buildroot/output/images/rootfs.iso9660', 'out/deep/x.iso']) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      writeFileSync(path.join(dir, f), f);
    }
    utimesSync(path.join(dir, 'out/minikube-amd64.iso'), new Date(1000), new Date(1000));
    expect((await findOutput(dir, 'out/*.iso'))?.path).toBe(path.join(dir, 'out/minikube-arm64.iso'));
    expect((await findOutput(dir, 'out/minikube-amd64.iso'))?.size).toBe('out/minikube-amd64.iso'.length);
    expect((await findOutput(dir, 'out/**/rootfs.iso*'))?.path).toBe(path.join(dir, 'out/buildroot/output/images/rootfs.iso9660'));
    expect(await findOutput(dir, 'out/*.img')).toBeUndefined();
    expect(await findOutput(dir, 'nope/minikube.iso')).toBeUndefined();
  });
});
