// The pure parts of offline builds (issue 10 item 5): which build arg chooses a missing base
// image, setting one in the Build args text, and what the builder image step says at the end.
import { describe, expect, it } from 'vitest';
import type { BuildRecord } from '../../shared/build';
import { missingBase } from '../../electron/core/build/builder-image';
import { dockerfileFacts } from '../../electron/core/build/dockerfile';
import { withBuildArg } from '../../renderer/src/store/build-args';
import { builderImageState } from '../../renderer/src/views/build/image-state';

describe('missingBase', () => {
  it('names the build arg of the FROM line, the last one its image word uses', () => {
    const f = dockerfileFacts('ARG REG=docker.io\nARG BASE=debian:bookworm\nFROM $REG/${BASE}\nFROM ubuntu:24.04\n');
    expect(missingBase(f.bases, 'docker.io/debian:bookworm')).toEqual({ image: 'docker.io/debian:bookworm', buildArg: 'BASE', fromLine: 'FROM $REG/${BASE}' });
    expect(missingBase(f.bases, 'ubuntu:24.04')).toEqual({ image: 'ubuntu:24.04', fromLine: 'FROM ubuntu:24.04' });
    // The Hello ISO sample's Dockerfile, as it is written.
    const hello = dockerfileFacts('ARG BASE=debian:bookworm\nFROM ${BASE}\nRUN true\n', { BASE: 'nope:1' });
    expect(missingBase(hello.bases, 'nope:1')).toEqual({ image: 'nope:1', buildArg: 'BASE', fromLine: 'FROM ${BASE}' });
  });
});

describe('withBuildArg', () => {
  it('appends, replaces in place, drops later duplicates and keeps the rest', () => {
    expect(withBuildArg('', 'BASE', 'a:1')).toBe('BASE=a:1');
    expect(withBuildArg('X=1\n\n', 'BASE', 'a:1')).toBe('X=1\nBASE=a:1');
    expect(withBuildArg('X=1\n BASE = old\n# note\nBASE=older\nY=2', 'BASE', 'a:1')).toBe('X=1\nBASE=a:1\n# note\nY=2');
    expect(withBuildArg('BASEX=1', 'BASE', 'a:1')).toBe('BASEX=1\nBASE=a:1');
  });
});

describe('builderImageState', () => {
  const r = (over: Partial<BuildRecord>): BuildRecord => ({
    id: '20260101-000000-abcd',
    recipe: 'hello',
    arch: 'x86_64',
    checkout: '/c',
    image: 'isolab/x',
    startedAt: '',
    phase: 'failed',
    logs: { image: '', build: '' },
    problems: [],
    ...over,
  });
  it('says built only when the image was built, failed or cancelled when the image phase ended the build', () => {
    expect(builderImageState(r({ phase: 'failed', imageReused: false }))).toBe('failed');
    expect(builderImageState(r({ phase: 'cancelled', imageReused: false }))).toBe('cancelled');
    expect(builderImageState(r({ phase: 'failed', imageReused: false, imageId: 'sha256:1', phaseTimes: { image: 5 }, exitCode: 2 }))).toBe('built');
    expect(builderImageState(r({ phase: 'cancelled', imageReused: true, imageId: 'sha256:1' }))).toBe('reused');
    expect(builderImageState(r({ phase: 'done', imageReused: false, imageId: 'sha256:1' }))).toBe('built');
    expect(builderImageState(r({ phase: 'failed' }))).toBe('failed');
  });
});
