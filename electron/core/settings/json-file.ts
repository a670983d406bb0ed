import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { StoreWarning } from '../../../shared/settings';
import { writeFileAtomic } from '../fs/atomic-write';

export interface Loaded<T> {
  value: T;
  warning?: StoreWarning;
}

/**
 * Reads a JSON file through a schema. A missing file is simply the defaults; an unreadable
 * or invalid one is moved aside (so the user's data is not lost) and also gives the
 * defaults, with a warning the UI shows. It never throws for bad content.
 */
export async function loadJsonFile<S extends z.ZodType>(
  file: string,
  schema: S,
  defaults: z.output<S>,
): Promise<Loaded<z.output<S>>> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { value: defaults };
    return {
      value: defaults,
      warning: {
        code: 'SETTINGS_UNREADABLE',
        message: `Could not read ${file}: ${(err as Error).message}`,
        hint: 'Check the file permissions; ISO Lab is using default settings for now.',
      },
    };
  }
  let problem: string;
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    if (parsed.success) return { value: parsed.data };
    const issue = parsed.error.issues[0];
    problem = `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`;
  } catch (err) {
    problem = (err as Error).message;
  }
  const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  await fs.rename(file, aside).catch(() => undefined);
  return {
    value: defaults,
    warning: {
      code: 'SETTINGS_CORRUPT',
      message: `${path.basename(file)} was not valid (${problem}); defaults are in use.`,
      hint: `The old file was kept as ${aside}. Fix or delete it; saving settings writes a fresh ${path.basename(file)}.`,
    },
  };
}

export async function saveJsonFile(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}
