import { describe, expect, it } from 'vitest';
import {
  firstStep,
  isComplete,
  looksLoggedIn,
  nextMove,
  nextStep,
  previousStep,
  samePath,
  stepStatus,
  type TourFacts,
} from '../../renderer/src/views/tour/progress';

function facts(over: Partial<Omit<TourFacts, 'build' | 'inspect' | 'boot'>> & { build?: Partial<TourFacts['build']>; inspect?: Partial<TourFacts['inspect']>; boot?: Partial<TourFacts['boot']> } = {}): TourFacts {
  return {
    path: over.path ?? 'sample',
    checkout: over.checkout ?? '',
    iso: over.iso ?? '',
    build: { input: '', ...over.build },
    inspect: { initrdVisited: false, ...over.inspect },
    boot: { loginPrompt: false, loggedIn: false, ...over.boot },
    minikubeShown: over.minikubeShown ?? false,
  };
}

const CHECKOUT = '/home/me/hello-iso';
const ISO = '/home/me/hello-iso/out/hello.iso';

describe('tour steps', () => {
  it('orders the steps and starts where the path starts', () => {
    expect(firstStep('sample')).toBe('build');
    expect(firstStep('own')).toBe('inspect');
    expect(nextStep('build')).toBe('inspect');
    expect(nextStep('minikube')).toBeUndefined();
    expect(previousStep('inspect')).toBe('build');
    expect(previousStep('build')).toBeUndefined();
  });

  it('compares folders without their trailing slashes', () => {
    expect(samePath('/a/b/', '/a/b')).toBe(true);
    expect(samePath('/', '/')).toBe(true);
    expect(samePath('/a', '/b')).toBe(false);
    expect(samePath(undefined, '/a')).toBe(false);
  });
});

describe('build step (sample path)', () => {
  it('first offers to create the sample, then to put it in Build, then points at Start build', () => {
    expect(nextMove('build', facts())).toMatchObject({ action: 'create-sample' });
    expect(nextMove('build', facts({ checkout: CHECKOUT, build: { input: '/elsewhere' } }))).toMatchObject({ action: 'use-checkout' });
    expect(nextMove('build', facts({ checkout: CHECKOUT, build: { input: CHECKOUT + '/' } }))).toMatchObject({ target: 'build-start' });
  });

  it('follows the build: progress while it runs, the result when it fails, Open in Inspect when it made an ISO', () => {
    const f = (phase: NonNullable<TourFacts['build']['phase']>, output?: string) => facts({ checkout: CHECKOUT, build: { input: CHECKOUT, phase, output } });
    expect(nextMove('build', f('image')).target).toBe('build-progress');
    expect(nextMove('build', f('build')).target).toBe('build-progress');
    expect(nextMove('build', f('failed')).target).toBe('build-result');
    expect(nextMove('build', f('cancelled')).target).toBe('build-start');
    expect(nextMove('build', f('done', ISO)).target).toBe('open-in-inspect');
    expect(isComplete('build', f('done', ISO))).toBe(true);
    expect(isComplete('build', f('done'))).toBe(false);
    expect(isComplete('build', f('build'))).toBe(false);
  });

  it('is skipped on the own-ISO path, unless it was done', () => {
    const own = facts({ path: 'own', iso: '/isos/minikube.iso' });
    expect(stepStatus('build', own, [])).toBe('skipped');
    expect(stepStatus('build', own, ['build'])).toBe('done');
    expect(isComplete('build', own)).toBe(false);
    expect(nextMove('build', own).action).toBe('create-sample');
  });
});

describe('inspect step', () => {
  it('opens the tour’s ISO, then points at the initrd, then at Boot this ISO', () => {
    expect(nextMove('inspect', facts({ path: 'own', iso: ISO })).action).toBe('open-iso');
    expect(nextMove('inspect', facts({ path: 'own' })).action).toBe('choose-iso');
    const open = facts({ path: 'own', iso: ISO, inspect: { file: ISO, initrd: '/boot/initrd' } });
    expect(nextMove('inspect', open)).toMatchObject({ target: 'initrd' });
    expect(nextMove('inspect', open).hint).toContain('boot/initrd');
    expect(isComplete('inspect', open)).toBe(false);
    const visited = facts({ path: 'own', iso: ISO, inspect: { file: ISO, initrd: '/boot/initrd', initrdVisited: true } });
    expect(isComplete('inspect', visited)).toBe(true);
    expect(nextMove('inspect', visited).target).toBe('boot-iso');
  });

  it('asks to open the tour’s ISO when another image is open', () => {
    const other = facts({ path: 'own', iso: ISO, inspect: { file: '/other.iso', initrd: '/boot/initrd' } });
    expect(nextMove('inspect', other).action).toBe('open-iso');
  });

  it('says to build first when the sample has no ISO yet', () => {
    expect(nextMove('inspect', facts({ path: 'sample', checkout: CHECKOUT })).hint).toMatch(/Build the sample first/);
  });
});

describe('boot, console and minikube steps', () => {
  it('boot: Boot this ISO when it is open in Inspect, else the panel’s button; done when the VM runs', () => {
    expect(nextMove('boot', facts({ iso: ISO, inspect: { file: ISO } })).target).toBe('boot-iso');
    expect(nextMove('boot', facts({ iso: ISO })).action).toBe('boot-iso');
    expect(nextMove('boot', facts({ iso: ISO, boot: { vm: 'hello', state: 'starting' } })).target).toBe('console');
    expect(isComplete('boot', facts({ iso: ISO, boot: { vm: 'hello', state: 'starting' } }))).toBe(false);
    expect(isComplete('boot', facts({ iso: ISO, boot: { vm: 'hello', state: 'running' } }))).toBe(true);
    expect(isComplete('boot', facts({ iso: ISO, boot: { vm: 'hello', state: 'stopped' } }))).toBe(false);
  });

  it('console: Log in as root until a shell prompt shows; needs a running VM', () => {
    expect(nextMove('console', facts({ iso: ISO })).action).toBe('boot-iso');
    const running = { vm: 'hello', state: 'running' as const };
    expect(nextMove('console', facts({ iso: ISO, boot: running })).target).toBe('login-root');
    expect(nextMove('console', facts({ iso: ISO, boot: { ...running, loginPrompt: true } })).hint).toMatch(/type root/);
    expect(isComplete('console', facts({ iso: ISO, boot: { ...running, loginPrompt: true } }))).toBe(false);
    const inside = facts({ iso: ISO, boot: { ...running, loginPrompt: true, loggedIn: true } });
    expect(isComplete('console', inside)).toBe(true);
    expect(nextMove('console', inside).target).toBe('console');
    expect(isComplete('console', facts({ iso: ISO, boot: { vm: 'hello', state: 'stopped', loggedIn: true } }))).toBe(false);
  });

  it('minikube: done once the hand-off is on screen', () => {
    expect(nextMove('minikube', facts({ iso: ISO })).target).toBe('minikube');
    expect(isComplete('minikube', facts({ iso: ISO }))).toBe(false);
    expect(isComplete('minikube', facts({ iso: ISO, minikubeShown: true }))).toBe(true);
  });

  it('a step seen done stays done', () => {
    expect(stepStatus('boot', facts({ iso: ISO }), ['boot'])).toBe('done');
    expect(stepStatus('boot', facts({ iso: ISO }), [])).toBe('todo');
  });
});

describe('looksLoggedIn', () => {
  it('sees a root prompt at the end of the console', () => {
    expect(looksLoggedIn('Welcome to Hello ISO\r\n~ # ')).toBe(true);
    expect(looksLoggedIn('login: root\r\n\x1b[1;32mroot@minikube\x1b[0m:~# ')).toBe(true);
    expect(looksLoggedIn('$ ')).toBe(true);
    expect(looksLoggedIn('~ # cat /etc/VERSION\r\nisolab-fixture 1\r\n~ # \r\n')).toBe(true);
  });

  it('does not take a login or password prompt, boot messages or a running command for one', () => {
    expect(looksLoggedIn('\r\nisolab login: ')).toBe(false);
    expect(looksLoggedIn('minikube login: root\r\nPassword: ')).toBe(false);
    expect(looksLoggedIn('[    1.234567] Freeing unused kernel memory: 2048K\r\n')).toBe(false);
    expect(looksLoggedIn('~ # sleep 10\r\n')).toBe(false);
    expect(looksLoggedIn('')).toBe(false);
  });
});
