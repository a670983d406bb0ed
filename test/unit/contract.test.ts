import { describe, expect, it } from 'vitest';
import { events, isEventChannel, isRequestChannel, requests } from '../../shared/contract';
import { LabError, toErrorShape } from '../../shared/errors';
import { Settings, SettingsPatch } from '../../shared/settings';

describe('contract', () => {
  it('knows its channels and nothing else', () => {
    expect(isRequestChannel('lab.doctor')).toBe(true);
    expect(isRequestChannel('toString')).toBe(false);
    expect(isRequestChannel('__proto__')).toBe(false);
    expect(isEventChannel('lab.status')).toBe(true);
    expect(isEventChannel('lab.doctor')).toBe(false);
  });

  it('rejects extra and mistyped arguments', () => {
    expect(requests['lab.doctor'].args.safeParse({}).success).toBe(true);
    expect(requests['lab.doctor'].args.safeParse({ surprise: 1 }).success).toBe(false);
    expect(requests['recent.add'].args.safeParse({ kind: 'iso', path: '/a.iso' }).success).toBe(true);
    expect(requests['recent.add'].args.safeParse({ kind: 'floppy', path: '/a.iso' }).success).toBe(false);
    expect(requests['recent.add'].args.safeParse({ kind: 'iso', path: '' }).success).toBe(false);
    // Strings a request carries are bounded (issue 11): a recent path and the engine address.
    expect(requests['recent.add'].args.safeParse({ kind: 'iso', path: 'a.iso' }).success).toBe(false);
    expect(requests['recent.add'].args.safeParse({ kind: 'iso', path: '/' + 'a'.repeat(5000) }).success).toBe(false);
    expect(requests['settings.update'].args.safeParse({ docker: { host: 'tcp://' + 'h'.repeat(5000) } }).success).toBe(false);
    expect(requests['settings.update'].args.safeParse({ docker: { host: 'tcp://127.0.0.1:2375' } }).success).toBe(true);
    expect(events['lab.status'].args.safeParse({ intervalSeconds: 0 }).success).toBe(false);
    expect(events['lab.status'].args.safeParse({ intervalSeconds: 2 }).success).toBe(true);
  });

  it('fills settings defaults from the seed walkthrough and bounds the values', () => {
    const s = Settings.parse({});
    expect(s.vm).toEqual({ driver: 'qemu', cpus: 2, memoryMb: 2000, diskMb: 20000 });
    expect(Settings.safeParse({ vm: { cpus: 0 } }).success).toBe(false);
    expect(SettingsPatch.safeParse({ docker: { host: null } }).success).toBe(true);
    expect(SettingsPatch.safeParse({ ui: { theme: 'pink' } }).success).toBe(false);
  });

  it('turns anything thrown into {code, message, hint} without a stack', () => {
    expect(toErrorShape(new LabError('X', 'what', 'fix'))).toEqual({ code: 'X', message: 'what', hint: 'fix' });
    const plain = toErrorShape(new Error('boom'));
    expect(plain).toEqual({ code: 'INTERNAL', message: 'boom' });
    expect(JSON.stringify(plain)).not.toContain('at ');
    expect(toErrorShape('text')).toEqual({ code: 'INTERNAL', message: 'text' });
  });
});
