import { minikubeCommand, runMinikube } from '../vm/minikube';
import type { EventHandler, EventHandlersOf, RequestHandler, RequestHandlersOf } from '../rpc/types';
import type { vmExplainEvents, vmExplainRequests } from '../../../shared/vm';

/** Thin: the VmManager owns the VMs, these only route the contract to it. */

export const vmList: RequestHandler<'vm.list'> = (_args, ctx) => ctx.vms.list();
export const vmCreate: RequestHandler<'vm.create'> = (args, ctx) => ctx.vms.create(args);
export const vmStart: RequestHandler<'vm.start'> = ({ name, serialConsole }, ctx) => ctx.vms.start(name, serialConsole ? { serialConsole: true } : {});
export const vmStop: RequestHandler<'vm.stop'> = ({ name, ...opts }, ctx) => ctx.vms.stop(name, opts);
export const vmKill: RequestHandler<'vm.kill'> = ({ name }, ctx) => ctx.vms.kill(name);
export const vmDelete: RequestHandler<'vm.delete'> = async ({ name }, ctx) => {
  await ctx.vms.delete(name);
  return {};
};
export const vmInput: RequestHandler<'vm.input'> = async ({ name, data }, ctx) => {
  await ctx.vms.input(name, data);
  return {};
};
export const vmTranscript: RequestHandler<'vm.transcript'> = async ({ name }, ctx) => ({ text: await ctx.vms.transcript(name) });
export const vmLogin: RequestHandler<'vm.login'> = ({ name, ...opts }, ctx) => ctx.vms.login(name, opts);
export const vmMinikubeCommand: RequestHandler<'vm.minikubeCommand'> = ({ iso }, ctx) => minikubeCommand(iso, { env: ctx.env });

export const vmWatch: EventHandler<'vm.watch'> = ({ name }, emit, signal, ctx) => ctx.vms.watch(name, emit, signal);
export const vmConsole: EventHandler<'vm.console'> = ({ name }, emit, signal, ctx) => ctx.vms.console(name, emit, signal);

/** Runs `minikube start --iso-url=…` where minikube is on PATH; unsubscribing interrupts it. */
export const vmMinikubeRun: EventHandler<'vm.minikubeRun'> = ({ iso }, emit, signal, ctx) => runMinikube(iso, emit, signal, { env: ctx.env });

/** "Boots that explain themselves": the boot config read before booting, login cancel, activity. */
export const vmExplainRequestHandlers: RequestHandlersOf<typeof vmExplainRequests> = {
  'vm.bootInfo': ({ iso }, ctx) => ctx.vms.bootInfo(iso),
  'vm.loginCancel': ({ name }, ctx) => ctx.vms.loginCancel(name),
};

export const vmExplainEventHandlers: EventHandlersOf<typeof vmExplainEvents> = {
  'vm.activity': ({ name }, emit, signal, ctx) => ctx.vms.activity(name, emit, signal),
};
