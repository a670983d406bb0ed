import { expect, type Locator } from '@playwright/test';

/** The picker lists its start folder first; typing before that lands in a field about to change. */
export async function pickerReady(dialog: Locator): Promise<void> {
  await expect(dialog.getByTestId('picker-path')).toHaveValue(/\/$/);
  await expect(dialog.getByTestId('picker-list')).toHaveAttribute('aria-busy', 'false');
}

/** Types a path in the in-app picker, once it is ready, and goes there (or opens it). */
export async function pickerGo(dialog: Locator, where: string): Promise<void> {
  await expect(dialog).toBeVisible();
  await pickerReady(dialog);
  await dialog.getByTestId('picker-path').fill(where);
  await dialog.getByTestId('picker-path').press('Enter');
}
