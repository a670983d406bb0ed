import { labPaths } from '../../core/paths';
import { ImageSession } from '../../core/image/image-session';

/** Opens the image a command names, and closes it however the command ends. */
export async function withImage<T>(file: string, fn: (session: ImageSession) => Promise<T>): Promise<T> {
  const session = await ImageSession.open(file, labPaths().cacheDir);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}
