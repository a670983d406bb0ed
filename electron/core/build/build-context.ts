import ignore from '@balena/dockerignore';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { LabError } from '../../../shared/errors';
import { dockerfileFacts, type DockerfileFacts } from './dockerfile';
import { packTar, type TarEntry } from './tar-pack';

/**
 * The build context as the docker CLI sends it (the folder minus what .dockerignore
 * excludes, the Dockerfile and .dockerignore always included) and a hash that names the
 * image it gives, so an unchanged builder image is reused instead of rebuilt.
 */

export interface ContextFile {
  /** '/'-separated, relative to the context folder. */
  rel: string;
  abs: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  size: number;
  linkname?: string;
}

export interface PreparedContext {
  contextDir: string;
  dockerfile: string;
  /** The Dockerfile's name inside the tar, for the `dockerfile` build option. */
  dockerfileInTar: string;
  dockerfileText: string;
  facts: DockerfileFacts;
  files: ContextFile[];
  buildArgs: Record<string, string>;
  hash: string;
}

const HASH_VERSION = 'isolab-context-v1';
/** Where a Dockerfile from outside the context goes in the tar, as the docker CLI does. */
const OUTSIDE_DOCKERFILE = '.isolab.Dockerfile';

export async function readDockerignore(contextDir: string): Promise<string[]> {
  let text: string;
  try {
    text = await fs.promises.readFile(path.join(contextDir, '.dockerignore'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/**
 * Walks the context in a stable order. An excluded folder is skipped whole unless some `!`
 * pattern could bring part of it back.
 */
export async function listContext(contextDir: string, patterns: string[], alwaysInclude: string[] = []): Promise<ContextFile[]> {
  const ig = ignore({ ignorecase: false }).add(patterns);
  const hasExceptions = patterns.some((p) => p.startsWith('!'));
  const keep = new Set(alwaysInclude);
  const out: ContextFile[] = [];
  const emittedDirs = new Set<string>();

  const emitParents = (rel: string, dirs: Map<string, ContextFile>) => {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (emittedDirs.has(dir)) continue;
      const d = dirs.get(dir);
      if (d) out.push(d);
      emittedDirs.add(dir);
    }
  };

  const dirInfo = new Map<string, ContextFile>();
  const walk = async (relDir: string): Promise<void> => {
    const absDir = relDir ? path.join(contextDir, relDir) : contextDir;
    const names = (await fs.promises.readdir(absDir)).sort();
    for (const name of names) {
      const rel = relDir ? `${relDir}/${name}` : name;
      const abs = path.join(absDir, name);
      const st = await fs.promises.lstat(abs);
      const excluded = ig.ignores(rel) && !keep.has(rel);
      if (st.isDirectory()) {
        const info: ContextFile = { rel, abs, type: 'dir', mode: st.mode & 0o7777, size: 0 };
        dirInfo.set(rel, info);
        if (!excluded) {
          emitParents(rel, dirInfo);
          if (!emittedDirs.has(rel)) {
            out.push(info);
            emittedDirs.add(rel);
          }
        }
        if (!excluded || hasExceptions) await walk(rel);
        continue;
      }
      if (excluded) continue;
      if (st.isFile()) {
        emitParents(rel, dirInfo);
        out.push({ rel, abs, type: 'file', mode: st.mode & 0o7777, size: st.size });
      } else if (st.isSymbolicLink()) {
        emitParents(rel, dirInfo);
        out.push({ rel, abs, type: 'symlink', mode: st.mode & 0o7777, size: 0, linkname: await fs.promises.readlink(abs) });
      }
      // Sockets, FIFOs and devices are not sent, as with the docker CLI.
    }
  };
  await walk('');
  return out;
}

async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Names what the builder image is made of. Without COPY/ADD the context's contents cannot
 * reach the image, so only the Dockerfile and build args count: a minikube build writes
 * into deploy/iso/minikube-iso (the context) on every run and must not force a rebuild.
 */
export async function contextHash(
  dockerfileText: string,
  buildArgs: Record<string, string>,
  files: ContextFile[] | undefined,
): Promise<string> {
  const h = createHash('sha256');
  h.update(`${HASH_VERSION}\n`);
  h.update(`dockerfile ${createHash('sha256').update(dockerfileText).digest('hex')}\n`);
  for (const k of Object.keys(buildArgs).sort()) h.update(`arg ${JSON.stringify(k)}=${JSON.stringify(buildArgs[k])}\n`);
  for (const f of files ?? []) {
    const what = f.type === 'file' ? await fileSha256(f.abs) : f.type === 'symlink' ? `-> ${f.linkname}` : '';
    h.update(`${f.type} ${JSON.stringify(f.rel)} ${(f.mode & 0o777).toString(8)} ${what}\n`);
  }
  return h.digest('hex');
}

export async function prepareContext(opts: {
  contextDir: string;
  dockerfile: string;
  buildArgs?: Record<string, string>;
}): Promise<PreparedContext> {
  const contextDir = path.resolve(opts.contextDir);
  const dockerfile = path.resolve(opts.dockerfile);
  const buildArgs = opts.buildArgs ?? {};
  let dockerfileText: string;
  try {
    dockerfileText = await fs.promises.readFile(dockerfile, 'utf8');
  } catch (err) {
    throw new LabError('BUILD_DOCKERFILE_MISSING', `Cannot read the Dockerfile ${dockerfile}: ${(err as Error).message}`, 'check the recipe\'s Dockerfile path');
  }
  const relDockerfile = path.relative(contextDir, dockerfile);
  const inside = !relDockerfile.startsWith('..') && !path.isAbsolute(relDockerfile);
  const dockerfileInTar = inside ? relDockerfile.split(path.sep).join('/') : OUTSIDE_DOCKERFILE;
  let files: ContextFile[];
  try {
    files = await listContext(contextDir, await readDockerignore(contextDir), inside ? [dockerfileInTar, '.dockerignore'] : ['.dockerignore']);
  } catch (err) {
    throw new LabError('BUILD_CONTEXT_UNREADABLE', `Cannot read the build context ${contextDir}: ${(err as Error).message}`, 'check that the folder exists and is readable');
  }
  const facts = dockerfileFacts(dockerfileText, buildArgs);
  const hashed = facts.readsContext ? files.filter((f) => f.rel !== dockerfileInTar) : undefined;
  const hash = await contextHash(dockerfileText, buildArgs, hashed);
  return { contextDir, dockerfile, dockerfileInTar, dockerfileText, facts, files, buildArgs, hash };
}

export function contextTar(ctx: PreparedContext): Readable {
  const entries: TarEntry[] = ctx.files.map((f) => ({
    name: f.rel,
    type: f.type,
    mode: f.mode,
    size: f.size,
    linkname: f.linkname,
    source: f.type === 'file' ? f.abs : undefined,
  }));
  if (ctx.dockerfileInTar === OUTSIDE_DOCKERFILE) {
    const body = Buffer.from(ctx.dockerfileText, 'utf8');
    entries.push({ name: OUTSIDE_DOCKERFILE, type: 'file', mode: 0o644, size: body.length, source: body });
  }
  return packTar(entries);
}

export function contextBytes(ctx: PreparedContext): number {
  return ctx.files.reduce((n, f) => n + (f.type === 'file' ? f.size : 0), 0);
}
