import fs from 'node:fs';
import path from 'node:path';
import type { RecipeId } from '../../../shared/build';

/**
 * Which minikube layout a checkout has, read from its Makefile the way a person would:
 * today's Makefile builds `minikube-iso-%` (out/minikube-<arch>.iso), the 2019 one
 * `out/minikube.iso` through `minikube_iso`. Both build the image from the same Dockerfile.
 */

export const MINIKUBE_DOCKERFILE = 'deploy/iso/minikube-iso/Dockerfile';
export const DEFAULT_ISO_BUILD_IMAGE = 'gcr.io/k8s-minikube/buildroot-image';
/** The sample's layout (recipes/hello-iso): its Makefile builds out/hello.iso. */
export const HELLO_DOCKERFILE = 'builder/Dockerfile';
export const HELLO_ISO_BUILD_IMAGE = 'isolab/hello-iso-builder';

export interface Detection {
  recipe: RecipeId | null;
  why: string;
  /** The Makefile's ISO_BUILD_IMAGE, expanded, when it can be read without running make. */
  isoBuildImage?: string;
  hasDockerfile: boolean;
}

export interface MakefileFacts {
  targets: Set<string>;
  vars: Map<string, string>;
}

export function parseMakefile(text: string): MakefileFacts {
  const targets = new Set<string>();
  const vars = new Map<string, string>();
  const joined = text.replace(/\\\r?\n/g, ' ');
  for (const line of joined.split(/\r?\n/)) {
    if (line.startsWith('\t') || /^\s*#/.test(line)) continue;
    const v = /^\s*(?:export\s+|override\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(\?=|:=|::=|\+=|=)\s*(.*?)\s*$/.exec(line);
    if (v) {
      // make takes the first ?= and the last =; a Makefile of a real checkout sets each once.
      if (!vars.has(v[1]!) || v[2] !== '?=') vars.set(v[1]!, v[3]!.replace(/\s+#.*$/, ''));
      continue;
    }
    const t = /^([^\s:#=][^:=#]*?)\s*::?(?![=])/.exec(line);
    if (t) for (const name of t[1]!.split(/\s+/)) if (name) targets.add(name);
  }
  return { targets, vars };
}

/** $(VAR) and ${VAR}; anything needing make itself ($(shell …), functions) gives undefined. */
export function expandMakeVar(name: string, vars: Map<string, string>, depth = 0): string | undefined {
  const raw = vars.get(name);
  if (raw === undefined || depth > 8) return undefined;
  let failed = false;
  const out = raw.replace(/\$[({]([^)}]*)[)}]/g, (_m, inner: string) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(inner)) {
      failed = true;
      return '';
    }
    const v = expandMakeVar(inner, vars, depth + 1);
    if (v === undefined) failed = true;
    return v ?? '';
  });
  return failed || out.includes('$') ? undefined : out;
}

export async function detectRecipe(checkout: string): Promise<Detection> {
  const hasDockerfile = await isFile(path.join(checkout, MINIKUBE_DOCKERFILE));
  const dockerfileNote = hasDockerfile ? `and ${MINIKUBE_DOCKERFILE} exists` : `but ${MINIKUBE_DOCKERFILE} is missing`;
  let text: string;
  try {
    text = await fs.promises.readFile(path.join(checkout, 'Makefile'), 'utf8');
  } catch {
    return {
      recipe: null,
      hasDockerfile,
      why: hasDockerfile
        ? `${MINIKUBE_DOCKERFILE} exists but there is no Makefile to tell today's layout from 2019's: choose minikube or minikube-2019`
        : `no Makefile and no ${MINIKUBE_DOCKERFILE} in ${checkout}: this is not a minikube checkout, use the custom recipe`,
    };
  }
  const mk = parseMakefile(text);
  const image = expandMakeVar('ISO_BUILD_IMAGE', mk.vars);
  if (mk.targets.has('out/hello.iso')) {
    const has = await isFile(path.join(checkout, HELLO_DOCKERFILE));
    return {
      hasDockerfile: has,
      ...(image ? { isoBuildImage: image } : {}),
      recipe: 'hello',
      why: `the Makefile has the target out/hello.iso (ISO Lab's Hello ISO sample) ${has ? `and ${HELLO_DOCKERFILE} exists` : `but ${HELLO_DOCKERFILE} is missing`}`,
    };
  }
  const base = { hasDockerfile, ...(image ? { isoBuildImage: image } : {}) };
  const today = ['minikube-iso-%', 'out/minikube-%.iso'].filter((t) => mk.targets.has(t));
  if (today.length) {
    return { ...base, recipe: 'minikube', why: `the Makefile has the target ${today.join(' and ')} (today's minikube layout) ${dockerfileNote}` };
  }
  const old = ['out/minikube.iso', 'minikube_iso'].filter((t) => mk.targets.has(t));
  if (old.length) {
    return { ...base, recipe: 'minikube-2019', why: `the Makefile has the target ${old.join(' and ')} (the 2019 minikube layout) ${dockerfileNote}` };
  }
  return {
    ...base,
    recipe: null,
    why: `the Makefile has none of the targets minikube-iso-%, out/minikube-%.iso, out/minikube.iso or minikube_iso: use the custom recipe`,
  };
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await fs.promises.stat(p)).isFile();
  } catch {
    return false;
  }
}
