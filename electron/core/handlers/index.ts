import type { EventHandlers, RequestHandlers } from '../rpc/types';
import { buildCancel, buildGet, buildHistory, buildLogLines, buildPreflight, buildRecipes, buildRequestHandlers, buildRunning, buildStart, buildWatch } from './build';
import { diffEventHandlers, diffRequestHandlers } from './diff';
import { hostList } from './host';
import { imageExtract, imageFind, imageIndex, imageInfoHandler, imageKernel, imageList, imageRead, imageResolve, imageStat } from './image';
import { labDoctor, labInfo, labStatus } from './lab';
import { remasterEventHandlers, remasterRequestHandlers } from './remaster';
import { sampleRequestHandlers } from './sample';
import { screenEventHandlers, screenRequestHandlers } from './screen';
import { recentAdd, recentClear, recentList, settingsGet, settingsUpdate, storageRequestHandlers } from './settings';
import { shellEventHandlers, shellRequestHandlers } from './shell';
import { sizeMapRequestHandlers } from './size-map';
import { vmConsole, vmCreate, vmDelete, vmExplainEventHandlers, vmExplainRequestHandlers, vmInput, vmKill, vmList, vmLogin, vmMinikubeCommand, vmStart, vmStop, vmTranscript, vmWatch, vmMinikubeRun } from './vm';

/** The handler table. TypeScript fails the build when a channel of the contract has no entry. */
export const requestHandlers: RequestHandlers = {
  'lab.info': labInfo,
  'lab.doctor': labDoctor,
  'settings.get': settingsGet,
  'settings.update': settingsUpdate,
  'recent.list': recentList,
  'recent.add': recentAdd,
  'recent.clear': recentClear,
  'image.info': imageInfoHandler,
  'image.list': imageList,
  'image.stat': imageStat,
  'image.read': imageRead,
  'image.kernel': imageKernel,
  'image.find': imageFind,
  'image.resolve': imageResolve,
  'host.list': hostList,
  'build.recipes': buildRecipes,
  'build.preflight': buildPreflight,
  'build.start': buildStart,
  'build.cancel': buildCancel,
  'build.history': buildHistory,
  'build.get': buildGet,
  'build.logLines': buildLogLines,
  'build.running': buildRunning,
  'vm.list': vmList,
  'vm.create': vmCreate,
  'vm.start': vmStart,
  'vm.stop': vmStop,
  'vm.kill': vmKill,
  'vm.delete': vmDelete,
  'vm.input': vmInput,
  'vm.transcript': vmTranscript,
  'vm.login': vmLogin,
  'vm.minikubeCommand': vmMinikubeCommand,
  ...buildRequestHandlers,
  ...storageRequestHandlers,
  ...shellRequestHandlers,
  ...diffRequestHandlers,
  ...sizeMapRequestHandlers,
  ...sampleRequestHandlers,
  ...remasterRequestHandlers,
  ...vmExplainRequestHandlers,
  ...screenRequestHandlers,
};

export const eventHandlers: EventHandlers = {
  'lab.status': labStatus,
  'image.index': imageIndex,
  'image.extract': imageExtract,
  'build.watch': buildWatch,
  'vm.watch': vmWatch,
  'vm.console': vmConsole,
  'vm.minikubeRun': vmMinikubeRun,
  ...shellEventHandlers,
  ...diffEventHandlers,
  ...remasterEventHandlers,
  ...vmExplainEventHandlers,
  ...screenEventHandlers,
};
