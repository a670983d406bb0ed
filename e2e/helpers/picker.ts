import { expect, type Locator } from '@playwright/test';

/** Types a path in the in-app picker once it has listed its start folder (else that listing overwrites it). */
export async function pickerGo(dialog: Locator, where: string): Promise<void> {
  await expect(dialog).toBeVisible();
  const field = dialog.getByTestId('picker-path');
  await expect(field).toHaveValue(/\/$/);
  await expect(dialog.getByTestId('picker-list')).toHaveAttribute('aria-busy', 'false');
  await field.fill(where);
  await field.press('Enter');
}
