import type { remasterEvents, remasterRequests } from '../../../shared/remaster';
import type { EventHandlersOf, RequestHandlersOf } from '../rpc/types';

export const remasterRequestHandlers: RequestHandlersOf<typeof remasterRequests> = {
  'edit.open': async ({ file }, ctx) => ctx.edits.open(file),
  'edit.get': async ({ id }, ctx) => ctx.edits.get(id),
  'edit.apply': async ({ id, change }, ctx) => ctx.edits.apply(id, change),
  'edit.undo': async ({ id, index }, ctx) => ctx.edits.undo(id, index),
  'edit.discard': async ({ id }, ctx) => ctx.edits.discard(id),
  'edit.upload': async ({ id, upload, offset, base64 }, ctx) => ctx.edits.upload(id, upload, offset, base64),
  'edit.read': async ({ id, path }, ctx) => ctx.edits.read(id, path),
  'edit.bootEntries': async ({ id }, ctx) => ctx.edits.bootEntries(id),
};

export const remasterEventHandlers: EventHandlersOf<typeof remasterEvents> = {
  'edit.save': async (args, emit, signal, ctx) => ctx.edits.save(args, emit, signal),
};
