import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contextTar, listContext, prepareContext, readDockerignore } from '../../electron/core/build/build-context';
import { argsIn, dockerfileFacts, expandArgs } from '../../electron/core/build/dockerfile';

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'isolab-ctx-'));
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), body);
  }
  return dir;
}

async function tarOf(ctx: Awaited<ReturnType<typeof prepareContext>>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of contextTar(ctx)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('.dockerignore', () => {
  const files = {
    Dockerfile: 'FROM base\nCOPY . /src\n',
    '.dockerignore': '# comment\n\nout\n*.log\n!keep.log\nboard/kernel/\ndocs/*\n!docs/README.md\nDockerfile\n',
    'a.txt': 'a',
    'x.log': 'x',
    'keep.log': 'k',
    'sub/x.log': 'only the top level matches *.log',
    'out/minikube.iso': 'iso',
    'board/kernel/bzImage': 'kernel',
    'board/minikube/isolinux.cfg': 'cfg',
    'docs/a.md': 'a',
    'docs/README.md': 'r',
  };

  it('leaves out what it excludes, keeps exceptions, and always sends the Dockerfile and itself', async () => {
    const dir = tree(files);
    const patterns = await readDockerignore(dir);
    expect(patterns).not.toContain('# comment');
    const listed = (await listContext(dir, patterns, ['Dockerfile', '.dockerignore'])).map((f) => f.rel + (f.type === 'dir' ? '/' : ''));
    expect(listed).toEqual([
      '.dockerignore',
      'Dockerfile',
      'a.txt',
      'board/',
      'board/minikube/',
      'board/minikube/isolinux.cfg',
      'docs/',
      'docs/README.md',
      'keep.log',
      'sub/',
      'sub/x.log',
    ]);
  });

  it('sends exactly that as a tar the system tar reads, long names included', async () => {
    const long = `deep/${'d'.repeat(60)}/${'e'.repeat(60)}/file-with-a-long-name.txt`;
    const dir = tree({ ...files, [long]: 'long' });
    symlinkSync('a.txt', path.join(dir, 'link'));
    const ctx = await prepareContext({ contextDir: dir, dockerfile: path.join(dir, 'Dockerfile') });
    const tar = await tarOf(ctx);
    const names = execFileSync('tar', ['-t'], { input: tar }).toString().trim().split('\n');
    expect(names).toContain(long);
    expect(names).toContain('link');
    expect(names).not.toContain('out/minikube.iso');
    expect(names).not.toContain('board/kernel/bzImage');
    const out = mkdtempSync(path.join(os.tmpdir(), 'isolab-ctx-x-'));
    execFileSync('tar', ['-x', '-C', out], { input: tar });
    expect(readFileSync(path.join(out, long), 'utf8')).toBe('long');
    expect(readFileSync(path.join(out, 'link'), 'utf8')).toBe('a');
    expect(ctx.dockerfileInTar).toBe('Dockerfile');
  });

  it('puts a Dockerfile from outside the context into the tar under its own name', async () => {
    const dir = tree({ 'ctx/a.txt': 'a', 'build/Dockerfile': 'FROM base\n' });
    const ctx = await prepareContext({ contextDir: path.join(dir, 'ctx'), dockerfile: path.join(dir, 'build', 'Dockerfile') });
    expect(ctx.dockerfileInTar).toBe('.isolab.Dockerfile');
    const names = execFileSync('tar', ['-t'], { input: await tarOf(ctx) }).toString().trim().split('\n');
    expect(names).toEqual(['a.txt', '.isolab.Dockerfile']);
  });
});

describe('the reuse hash', () => {
  it('ignores the context when nothing is copied from it (minikube writes into it on every build)', async () => {
    const dir = tree({ Dockerfile: 'FROM ubuntu:24.04\nRUN apt-get update\n', 'board/etc/VERSION': 'v1' });
    const before = (await prepareContext({ contextDir: dir, dockerfile: path.join(dir, 'Dockerfile') })).hash;
    writeFileSync(path.join(dir, 'board/etc/VERSION'), 'v2');
    expect((await prepareContext({ contextDir: dir, dockerfile: path.join(dir, 'Dockerfile') })).hash).toBe(before);
    const withArg = await prepareContext({ contextDir: dir, dockerfile: path.join(dir, 'Dockerfile'), buildArgs: { BASE: 'x' } });
    expect(withArg.hash).not.toBe(before);
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM ubuntu:24.04\nRUN apt-get update && true\n');
    expect((await prepareContext({ contextDir: dir, dockerfile: path.join(dir, 'Dockerfile') })).hash).not.toBe(before);
  });

  it('follows copied files but not ignored ones when COPY reads the context', async () => {
    const dir = tree({ Dockerfile: 'FROM base\nCOPY tools/ /tools/\n', '.dockerignore': 'scratch/\n', 'tools/run.sh': 'echo 1', 'scratch/tmp': '1' });
    const hash = async () => (await prepareContext({ contextDir: dir, dockerfile: path.join(dir, 'Dockerfile') })).hash;
    const h1 = await hash();
    writeFileSync(path.join(dir, 'scratch/tmp'), '2');
    expect(await hash()).toBe(h1);
    writeFileSync(path.join(dir, 'tools/run.sh'), 'echo 2');
    expect(await hash()).not.toBe(h1);
  });
});

describe('Dockerfile facts', () => {
  it('resolves FROM through ARG defaults and build args, skips stages and scratch', () => {
    const text = '# syntax\nARG BASE=isolab-test-base:bookworm\nARG TAG\nFROM ${BASE} AS builder\nRUN make\nFROM builder\nFROM scratch\nFROM --platform=linux/amd64 debian:${TAG:-bookworm}\nCOPY --from=builder /x /x\n';
    expect(dockerfileFacts(text)).toEqual({
      baseImages: ['isolab-test-base:bookworm', 'debian:bookworm'],
      fromLines: ['FROM ${BASE} AS builder', 'FROM builder', 'FROM scratch', 'FROM --platform=linux/amd64 debian:${TAG:-bookworm}'],
      bases: [
        { image: 'isolab-test-base:bookworm', fromLine: 'FROM ${BASE} AS builder', args: ['BASE'] },
        { image: 'debian:bookworm', fromLine: 'FROM --platform=linux/amd64 debian:${TAG:-bookworm}', args: ['TAG'] },
      ],
      readsContext: false,
    });
    expect(dockerfileFacts(text, { BASE: 'isolab-nope:1', TAG: '12' }).baseImages).toEqual(['isolab-nope:1', 'debian:12']);
  });

  it('names the build args that choose each base image, and none for a FROM that names it outright', () => {
    const f = dockerfileFacts('ARG REG=docker.io\nARG BASE=debian:bookworm\nFROM $REG/${BASE}\nRUN true\nARG LATE=x\nFROM ubuntu:24.04\n');
    expect(f.bases).toEqual([
      { image: 'docker.io/debian:bookworm', fromLine: 'FROM $REG/${BASE}', args: ['REG', 'BASE'] },
      { image: 'ubuntu:24.04', fromLine: 'FROM ubuntu:24.04', args: [] },
    ]);
    // An ARG after the first FROM does not reach a FROM line, so it does not choose its image.
    expect(dockerfileFacts('FROM a\nARG X=b\nFROM ${X:-c}\n').bases.at(-1)).toEqual({ image: 'c', fromLine: 'FROM ${X:-c}', args: [] });
    expect(argsIn('${A}/$B:${C:-x}-$A')).toEqual(['A', 'B', 'C']);
  });

  it('sees COPY and ADD, also across line continuations', () => {
    expect(dockerfileFacts('FROM a\nRUN echo \\\n  COPY\n').readsContext).toBe(false);
    expect(dockerfileFacts('FROM a\ncopy x /x\n').readsContext).toBe(true);
    expect(dockerfileFacts('FROM a\nADD \\\n  x /x\n').readsContext).toBe(true);
  });

  it('expands like the builder', () => {
    const v = new Map([['A', 'x']]);
    expect(expandArgs('$A-${A}-${B:-d}-${A:+alt}-${B:+alt}', v)).toBe('x-x-d-alt-');
  });
});
