import fs from 'node:fs';
import path from 'node:path';
import type { StorageItem, StorageKind } from '../../../shared/settings';
import { FINAL_PHASES } from '../../../shared/build';
import { LabError } from '../../../shared/errors';
import { createDockerClient } from '../docker/client';
import { resolveDockerEndpoint } from '../docker/endpoint';
import type { LabContext } from '../rpc/types';
import { SHELL_LABEL } from '../shell/rootfs-image';

/**
 * Settings → Storage: what ISO Lab keeps (the archive index cache, rootfs images in Docker,
 * VM disks, build logs, remaster edits), how much each takes, and Clear for each. Clear never
 * takes what a running VM, build or shell uses: it refuses, and says which one.
 */

const LABELS: Record<StorageKind, string> = {
  indexCache: 'Index cache (unpacked initrds)',
  rootfsImages: 'Rootfs images in Docker (shells)',
  vmDisks: 'VM disks',
  buildLogs: 'Build logs and history',
  remasterEdits: 'Remaster edits',
};

const RUNNING_VM = ['starting', 'running', 'stopping'];

/** Allocated bytes and files under `dir` (0, 0 when it does not exist). */
export async function folderUsage(dir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  const walk = async (d: string): Promise<void> => {
    const list = await fs.promises.readdir(d, { withFileTypes: true }).catch(() => [] as fs.Dirent[]);
    for (const e of list) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        await walk(p);
        continue;
      }
      const st = await fs.promises.lstat(p).catch(() => undefined);
      if (!st) continue;
      files++;
      bytes += typeof st.blocks === 'number' ? st.blocks * 512 : st.size;
    }
  };
  await walk(dir);
  return { bytes, files };
}

async function subdirs(dir: string): Promise<string[]> {
  const list = await fs.promises.readdir(dir, { withFileTypes: true }).catch(() => [] as fs.Dirent[]);
  return list.filter((e) => e.isDirectory()).map((e) => e.name);
}

function docker(ctx: LabContext, host: string | undefined) {
  const endpoint = resolveDockerEndpoint({ settingHost: host, env: ctx.env });
  return { endpoint, client: createDockerClient(endpoint, { env: ctx.env }) };
}

async function runningVms(ctx: LabContext): Promise<string[]> {
  return (await ctx.vms.list()).filter((v) => RUNNING_VM.includes(v.state)).map((v) => v.name);
}

async function runningBuilds(ctx: LabContext): Promise<string[]> {
  const live = new Set(ctx.builds.running().map((r) => r.id));
  for (const r of await ctx.builds.history().catch(() => [])) if (!FINAL_PHASES.includes(r.phase)) live.add(r.id);
  return [...live];
}

const names = (xs: string[]) => (xs.length === 1 ? xs[0]! : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`);

export async function storageItem(ctx: LabContext, kind: StorageKind): Promise<StorageItem> {
  const { dataDir, cacheDir } = ctx.paths;
  const item = (location: string, bytes: number, count: number, extra: Partial<StorageItem> = {}): StorageItem => ({ kind, label: LABELS[kind], location, bytes, count, ...extra });
  switch (kind) {
    case 'indexCache': {
      const dir = path.join(cacheDir, 'archives');
      const u = await folderUsage(dir);
      return item(dir, u.bytes, u.files);
    }
    case 'rootfsImages': {
      const host = (await ctx.settings.get()).docker.host;
      const { endpoint, client } = docker(ctx, host);
      const location = `${endpoint.url}, images labelled ${SHELL_LABEL}`;
      try {
        const [images, containers] = await Promise.all([
          client.listImages({ filters: { label: [SHELL_LABEL] } }),
          client.listContainers({ all: true, filters: { label: [SHELL_LABEL] } }),
        ]);
        const used = containers.filter((c) => images.some((i) => i.Id === c.ImageID));
        const extra: Partial<StorageItem> = used.length ? { inUse: `${used.length === 1 ? 'a shell is' : `${used.length} shells are`} open on ${used.length === 1 ? 'one of them' : 'them'}: close the shell tab first` } : {};
        return item(location, images.reduce((n, i) => n + i.Size, 0), images.length, extra);
      } catch (err) {
        return item(location, 0, 0, { error: `Docker did not answer at ${endpoint.url}: ${(err as Error).message}` });
      }
    }
    case 'vmDisks': {
      const dir = path.join(dataDir, 'vms');
      const vms = await subdirs(dir);
      const u = await folderUsage(dir);
      const running = await runningVms(ctx);
      return item(dir, u.bytes, vms.length, running.length ? { inUse: `${running.length === 1 ? 'the VM' : 'the VMs'} ${names(running)} ${running.length === 1 ? 'is' : 'are'} running: stop ${running.length === 1 ? 'it' : 'them'} first` } : {});
    }
    case 'buildLogs': {
      const dir = path.join(dataDir, 'builds');
      const builds = await subdirs(dir);
      const u = await folderUsage(dir);
      const running = await runningBuilds(ctx);
      return item(dir, u.bytes, builds.length, running.length ? { inUse: `the build ${names(running)} is running and writes its logs there: wait for it or cancel it` } : {});
    }
    case 'remasterEdits': {
      const dir = path.join(dataDir, 'edits');
      const u = await folderUsage(dir);
      return item(dir, u.bytes, (await subdirs(dir)).length);
    }
  }
}

export async function storageUsage(ctx: LabContext): Promise<{ items: StorageItem[] }> {
  const kinds: StorageKind[] = ['indexCache', 'rootfsImages', 'vmDisks', 'buildLogs', 'remasterEdits'];
  return { items: await Promise.all(kinds.map((k) => storageItem(ctx, k))) };
}

async function emptyFolder(dir: string): Promise<void> {
  for (const name of await fs.promises.readdir(dir).catch(() => [] as string[])) {
    await fs.promises.rm(path.join(dir, name), { recursive: true, force: true });
  }
}

export async function clearStorage(ctx: LabContext, kind: StorageKind): Promise<{ freed: number; item: StorageItem }> {
  const before = await storageItem(ctx, kind);
  if (before.inUse) throw new LabError('STORAGE_IN_USE', `${before.label} cannot be cleared now: ${before.inUse}`, 'nothing was removed');
  if (before.error) throw new LabError('STORAGE_UNAVAILABLE', before.error, 'start the Docker engine, or set its endpoint in Settings');
  switch (kind) {
    case 'indexCache':
      // Open images read their unpacked data from there: close them, they open again on use.
      await ctx.images.closeAll();
      await emptyFolder(before.location);
      break;
    case 'rootfsImages': {
      const { client } = docker(ctx, (await ctx.settings.get()).docker.host);
      for (const img of await client.listImages({ filters: { label: [SHELL_LABEL] } })) {
        await client.getImage(img.Id).remove({ force: false }).catch((err: { statusCode?: number }) => {
          if (err.statusCode !== 404) throw new LabError('STORAGE_IN_USE', `A rootfs image could not be removed: ${(err as Error).message}`, 'close the shell tabs, then clear again');
        });
      }
      break;
    }
    case 'vmDisks':
      // Through the VM manager: VirtualBox VMs are unregistered too.
      for (const v of await ctx.vms.list()) await ctx.vms.delete(v.name);
      await emptyFolder(before.location);
      break;
    case 'buildLogs':
      await emptyFolder(before.location);
      break;
    case 'remasterEdits':
      await emptyFolder(before.location);
      break;
  }
  const item = await storageItem(ctx, kind);
  return { freed: Math.max(0, before.bytes - item.bytes), item };
}
