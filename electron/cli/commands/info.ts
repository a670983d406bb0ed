import type { Command } from 'commander';
import type { ImageInfo } from '../../../shared/image';
import { formatBytes } from '../../../shared/format';
import { imageInfo } from '../../core/image/inspect';
import { forTerminal, printJson } from '../output';
import { withImage } from './image-cli';

function row(label: string, value: string | number | boolean | undefined): string {
  return value === undefined || value === '' ? '' : `  ${label.padEnd(18)} ${value}\n`;
}

export function formatInfo(info: ImageInfo): string {
  let s = `${info.name}  ${formatBytes(info.size)}  (${info.kind === 'iso' ? 'ISO 9660' : info.format})\n`;
  if (info.iso) {
    const v = info.iso.volume;
    s += '\nVolume\n';
    s += row('volume id', v.volumeId) + row('system id', v.systemId) + row('application', v.applicationId) + row('preparer', v.preparerId) + row('publisher', v.publisherId);
    s += row('size', `${v.volumeBlocks} blocks × ${v.blockSize} = ${formatBytes(v.sizeBytes)}`) + row('created', v.created) + row('modified', v.modified);
    s += row('extensions', [info.iso.rockRidge && 'Rock Ridge', info.iso.joliet && 'Joliet'].filter(Boolean).join(', ') || 'none (plain ISO 9660 names)');
    s += row('names from', info.iso.tree);
    const et = info.iso.elTorito;
    if (et) {
      s += '\nEl Torito boot catalog\n';
      s += row('catalog', `${et.catalogFile ?? '(hidden)'} at LBA ${et.catalogLba}${et.validation.checksumOk ? '' : ' (BAD CHECKSUM)'}`);
      for (const e of et.entries) {
        s += row(e.kind, `${e.platform.toUpperCase()} ${e.bootable ? 'bootable' : 'not bootable'}, ${e.emulation === 'none' ? 'no emulation' : `${e.emulation} emulation`}, load segment 0x${e.loadSegment.toString(16)}, ${e.sectorCount} sectors, LBA ${e.lba}${e.file ? ` → ${e.file}` : ''}`);
      }
      if (et.bootInfoTable !== undefined) s += row('boot info table', et.bootInfoTable ? 'yes' : 'no');
    } else s += '\n  not bootable from CD (no El Torito boot record)\n';
    if (info.iso.hybrid) {
      const h = info.iso.hybrid;
      s += `\nHybrid (${[h.mbr && 'MBR', h.gpt && 'GPT'].filter(Boolean).join(' + ')}): boots from a USB stick too\n`;
      for (const p of h.partitions) s += row(`partition ${p.index}`, `${p.type}${p.name ? ` "${p.name}"` : ''}, start ${p.startLba}, ${p.sectors} sectors${p.bootable ? ', active' : ''}`);
    }
  }
  if (info.kernel) {
    const k = info.kernel.card;
    s += `\nKernel ${info.kernel.path}\n`;
    s += row('version', k.version) + row('boot protocol', k.bootProtocol) + row('compression', k.payloadCompression) + row('relocatable', k.relocatable);
  }
  for (const i of info.initrds) {
    s += `\nInitrd ${i.path}\n` + row('format', i.format) + row('size', formatBytes(i.size));
    const a = info.archives?.find((x) => x.path === i.path);
    if (a) {
      s += row('entries', a.entryCount);
      a.segments.forEach((seg, n) => {
        s += row(`segment ${n + 1}`, `${seg.format} cpio, ${seg.compression}, ${seg.entries} entries, ${formatBytes(seg.compressedSize)} → ${formatBytes(seg.uncompressedSize)} at offset ${seg.offset}`);
      });
      for (const w of a.warnings) s += row('warning', w);
    }
  }
  return s;
}

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('volume, Rock Ridge / Joliet, El Torito boot entries, kernel and initrd of an image')
    .argument('<image>', 'an ISO file or an initrd / cpio archive')
    .option('--json', 'print JSON')
    .action(async (image: string, opts: { json?: boolean }) => {
      await withImage(image, async (session) => {
        const info = await imageInfo(session, { indexArchives: true });
        if (opts.json) printJson(info);
        // Names and volume ids come from the image: each line is escaped for the terminal.
        else process.stdout.write(formatInfo(info).split('\n').map(forTerminal).join('\n'));
      });
    });
}
