import { describe, expect, it } from 'vitest';
import { hasArg, withArg } from '../../renderer/src/views/inspect/edit/cmdline';
import { lineDiff } from '../../renderer/src/views/inspect/edit/line-diff';
import { defaultOut } from '../../renderer/src/store/edit-paths';

describe('edit views', () => {
  it('a line diff keeps three lines of context and folds the rest', () => {
    const before = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
    const after = before.replace('line 10\n', 'line ten\n');
    const d = lineDiff(before, after);
    expect(d.map((l) => l.kind)).toEqual(['fold', 'same', 'same', 'same', 'del', 'add', 'same', 'same', 'same', 'fold']);
    expect(d[0]!.text).toBe('6 unchanged lines');
    expect(d.find((l) => l.kind === 'del')).toMatchObject({ text: 'line 10', a: 10 });
    expect(d.find((l) => l.kind === 'add')).toMatchObject({ text: 'line ten', b: 10 });
    expect(d[d.length - 1]!.text).toBe('7 unchanged lines');
  });

  it('a new file is all added lines', () => {
    expect(lineDiff('', 'a\nb\n')).toEqual([
      { kind: 'add', text: 'a', b: 1 },
      { kind: 'add', text: 'b', b: 2 },
    ]);
  });

  it('kernel argument helpers add an argument once, as a whole word', () => {
    expect(withArg('quiet', 'console=ttyS0')).toBe('quiet console=ttyS0');
    expect(withArg('console=ttyS0 quiet', 'console=ttyS0')).toBe('console=ttyS0 quiet');
    expect(hasArg('console=ttyS0,115200', 'console=ttyS0')).toBe(false);
    expect(withArg('', 'loglevel=7')).toBe('loglevel=7');
  });

  it('the new ISO goes next to the input', () => {
    expect(defaultOut('/isos/hello.iso')).toBe('/isos/hello-remastered.iso');
    expect(defaultOut('/isos/minikube.ISO')).toBe('/isos/minikube-remastered.iso');
    expect(defaultOut('/isos/image')).toBe('/isos/image-remastered.iso');
  });
});
