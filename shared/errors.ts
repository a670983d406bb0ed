import { z } from 'zod';

/**
 * Every failure that crosses a process or network boundary has this shape, so the
 * UI and the CLI can always show what went wrong and what to do about it.
 */
export const LabErrorShape = z.object({
  code: z.string(),
  message: z.string(),
  hint: z.string().optional(),
});
export type LabErrorShape = z.infer<typeof LabErrorShape>;

export class LabError extends Error {
  readonly code: string;
  readonly hint?: string;

  constructor(code: string, message: string, hint?: string) {
    super(message);
    this.name = 'LabError';
    this.code = code;
    this.hint = hint;
  }

  toJSON(): LabErrorShape {
    return this.hint === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, hint: this.hint };
  }
}

/** Anything thrown becomes a shape; unknown errors keep their message but not their stack. */
export function toErrorShape(err: unknown): LabErrorShape {
  if (err instanceof LabError) return err.toJSON();
  const parsed = LabErrorShape.safeParse(err);
  if (parsed.success) return parsed.data;
  if (err instanceof Error) return { code: 'INTERNAL', message: err.message };
  return { code: 'INTERNAL', message: String(err) };
}

export function fromErrorShape(shape: LabErrorShape): LabError {
  return new LabError(shape.code, shape.message, shape.hint);
}
