import { z } from 'zod';
import { LabErrorShape } from './errors';

/**
 * The build contract: recipes, pre-flight, jobs and their records, and the watch stream.
 * A build is a job owned by the lab core; closing the window that started it does not stop it.
 *
 * Line numbers (`Problem.line`, `logLines.from`, `snapshot.tailStart`) are 0-based indexes
 * into the log file's lines; show `line + 1` to people.
 */

/** Absolute, like every host path in the contract: the core shares no cwd with the UI. */
const AbsPath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'must be an absolute path');

export const RecipeId = z.enum(['minikube', 'minikube-2019', 'hello', 'custom']);
export type RecipeId = z.infer<typeof RecipeId>;
export const RecipeChoice = z.enum(['auto', 'minikube', 'minikube-2019', 'hello', 'custom']);
export type RecipeChoice = z.infer<typeof RecipeChoice>;
export const Arch = z.enum(['x86_64', 'aarch64']);
export type Arch = z.infer<typeof Arch>;
/** `default` is what `docker run` does without --network. */
export const NetworkMode = z.enum(['default', 'none', 'host']);
export type NetworkMode = z.infer<typeof NetworkMode>;
export const LogName = z.enum(['image', 'build']);
export type LogName = z.infer<typeof LogName>;
export const BuildPhase = z.enum(['preflight', 'image', 'build', 'done', 'failed', 'cancelled']);
export type BuildPhase = z.infer<typeof BuildPhase>;
export const FINAL_PHASES: readonly BuildPhase[] = ['done', 'failed', 'cancelled'];

/** Sortable by time and safe as a folder and container name: 20260827-141503-k3x9. */
export const BuildId = z.string().regex(/^\d{8}-\d{6}-[a-z0-9]{4}$/, 'is not a build id');
export type BuildId = z.infer<typeof BuildId>;

const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a variable name');
const EnvMap = z.record(EnvName, z.string().max(8192));

/**
 * The fields of the custom recipe. With another recipe, any field given here overrides that
 * recipe's value (e.g. a build arg or an env variable for the standard minikube build).
 * Relative paths are relative to the checkout.
 */
export const CustomRecipe = z
  .object({
    dockerfile: z.string().min(1).max(4096).optional(),
    context: z.string().min(1).max(4096).optional(),
    image: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/, 'is not an image name')
      .optional(),
    /** A string runs through `/bin/sh -c`; an array is the exact argv. */
    command: z.union([z.string().min(1).max(8192), z.array(z.string().max(8192)).min(1).max(256)]).optional(),
    env: EnvMap.optional(),
    buildArgs: EnvMap.optional(),
    /** A glob relative to the checkout: out/*.iso */
    output: z.string().min(1).max(1024).optional(),
    network: NetworkMode.optional(),
  })
  .strict();
export type CustomRecipe = z.infer<typeof CustomRecipe>;

export const MountView = z.object({
  kind: z.enum(['bind', 'volume', 'anonymous']),
  /** Host path (bind) or volume name; absent for an anonymous volume. */
  source: z.string().optional(),
  target: z.string(),
  /** `Z` when the checkout is relabelled for SELinux. */
  mode: z.string().optional(),
});
export type MountView = z.infer<typeof MountView>;

export const RecipeView = z.object({
  id: RecipeId,
  name: z.string(),
  description: z.string(),
  arch: Arch,
  archOptions: z.array(Arch),
  /** Relative to the checkout when inside it. */
  dockerfile: z.string(),
  context: z.string(),
  image: z.string(),
  buildArgs: z.record(z.string(), z.string()),
  command: z.array(z.string()),
  workdir: z.string(),
  user: z.string(),
  env: z.record(z.string(), z.string()),
  mounts: z.array(MountView),
  network: NetworkMode,
  output: z.string(),
  /** Free space the build wants at the checkout, in bytes (0: no idea). */
  needBytes: z.number(),
  /** The docker CLI lines doing the same, run from the checkout. */
  dockerBuild: z.string(),
  dockerRun: z.string(),
});
export type RecipeView = z.infer<typeof RecipeView>;

export const RecipesResult = z.object({
  /** `recipe` is null when the checkout matches no known layout; `why` then says what is missing. */
  auto: z.object({ recipe: RecipeId.nullable(), why: z.string() }),
  recipes: z.array(RecipeView),
});
export type RecipesResult = z.infer<typeof RecipesResult>;

export const BuildRequest = z
  .object({
    checkout: AbsPath,
    recipe: RecipeChoice.default('auto'),
    arch: Arch.optional(),
    custom: CustomRecipe.optional(),
    rebuildImage: z.boolean().optional(),
  })
  .strict();
export type BuildRequest = z.input<typeof BuildRequest>;

/**
 * A base image (FROM) the engine does not have, with the build arg that chooses it when the
 * FROM line takes it from one (`ARG BASE=debian:bookworm` / `FROM ${BASE}` → BASE); absent
 * when the FROM line names the image outright.
 */
export const MissingBase = z.object({ image: z.string(), buildArg: z.string().optional(), fromLine: z.string() });
export type MissingBase = z.infer<typeof MissingBase>;

export const Warning = z.object({ code: z.string(), message: z.string(), hint: z.string().optional(), base: MissingBase.optional() });
export type Warning = z.infer<typeof Warning>;

export const SelinuxMode = z.enum(['enforcing', 'permissive', 'disabled', 'absent']);
export type SelinuxMode = z.infer<typeof SelinuxMode>;

export const PreflightResult = z.object({
  ok: z.boolean(),
  /** Blockers: a build does not start while there is one. */
  errors: z.array(LabErrorShape),
  /** Shown prominently, but the build may go ahead. */
  warnings: z.array(Warning),
  freeBytes: z.number(),
  needBytes: z.number(),
  selinux: SelinuxMode,
  remote: z.boolean(),
  endpoint: z.string(),
  /** The recipe `auto` resolved to, with the values the build will use; absent when none could be resolved. */
  recipe: RecipeView.optional(),
  autoWhy: z.string().optional(),
  /** Whether the builder image would be reused (same Dockerfile and context hash). */
  builderImage: z.object({ tag: z.string(), contextHash: z.string(), reuse: z.boolean() }).optional(),
});
export type PreflightResult = z.infer<typeof PreflightResult>;

export const Problem = z.object({
  log: LogName,
  line: z.number(),
  text: z.string(),
  /** make | error | hash | disk-full | permission | command-not-found | docker | pull */
  rule: z.string(),
});
export type Problem = z.infer<typeof Problem>;

export const Progress = z.object({
  imageStep: z.object({ current: z.number(), total: z.number() }).optional(),
  package: z.string().optional(),
  version: z.string().optional(),
  step: z.string().optional(),
  packagesDone: z.number(),
  elapsedMs: z.number(),
  etaMs: z.number().optional(),
});
export type Progress = z.infer<typeof Progress>;

/** `startMs`: when the package started, from the start of the build container (for the next build's estimate). */
export const PackageTime = z.object({ name: z.string(), ms: z.number(), startMs: z.number().optional() });
export type PackageTime = z.infer<typeof PackageTime>;

export const BuildRecord = z.object({
  id: BuildId,
  recipe: RecipeId,
  arch: Arch,
  checkout: z.string(),
  /** The builder image's tag; imageId once it is known. */
  image: z.string(),
  imageId: z.string().optional(),
  imageReused: z.boolean().optional(),
  contextHash: z.string().optional(),
  command: z.array(z.string()).optional(),
  endpoint: z.string().optional(),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  durationMs: z.number().optional(),
  phase: BuildPhase,
  /** The build container's exit code; absent when it never ran. */
  exitCode: z.number().optional(),
  error: LabErrorShape.optional(),
  logs: z.object({ image: z.string(), build: z.string() }),
  output: z.object({ path: z.string(), size: z.number(), sha256: z.string() }).optional(),
  /** The first few hundred only; `problemsTruncated` says when more were seen. */
  problems: z.array(Problem),
  problemsTruncated: z.boolean().optional(),
  progress: Progress.optional(),
  /** Time per buildroot package, in build order: the chart after the build. */
  packageTimes: z.array(PackageTime).optional(),
  phaseTimes: z.object({ image: z.number().optional(), build: z.number().optional() }).optional(),
  /** Set when the builder image failed because its base image could not be pulled. */
  missingBase: MissingBase.optional(),
  /** The process running the build, so another process can tell a live build from a crashed one. */
  owner: z.object({ pid: z.number(), host: z.string() }).optional(),
});
export type BuildRecord = z.infer<typeof BuildRecord>;

/** An image the engine has, by one of its tags: what a build arg like BASE can point at offline. */
export const LocalImage = z.object({
  ref: z.string(),
  id: z.string(),
  size: z.number(),
  /** Seconds since the epoch, as the engine says. */
  created: z.number(),
  /** A builder image ISO Lab made (it carries the context hash label). */
  builder: z.boolean(),
});
export type LocalImage = z.infer<typeof LocalImage>;

export const buildRequests = {
  /** The engine's tagged images, newest first, for "Use a local image…" when a base image is missing. */
  'build.localImages': { args: z.object({}).strict().default({}), result: z.object({ endpoint: z.string(), images: z.array(LocalImage) }) },
} as const;

export const LogLinesArgs = z
  .object({
    buildId: BuildId,
    log: LogName,
    from: z.number().int().min(0),
    count: z.number().int().min(1).max(5000),
  })
  .strict();
export const LogLinesResult = z.object({
  lines: z.array(z.string()),
  from: z.number(),
  /** Lines in the file now (a running build's last, unfinished line is not counted). */
  total: z.number(),
});
export type LogLinesResult = z.infer<typeof LogLinesResult>;

export const BuildEvent = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('snapshot'),
    record: BuildRecord,
    /** The last ~2000 complete lines of each log; live `log` events continue right after them. */
    tail: z.object({ image: z.array(z.string()), build: z.array(z.string()) }),
    /** Line index of tail[0] in each file, for scrolling back with build.logLines. */
    tailStart: z.object({ image: z.number(), build: z.number() }),
    progress: Progress.optional(),
  }),
  z.object({ kind: z.literal('log'), log: LogName, text: z.string() }),
  z.object({ kind: z.literal('phase'), phase: BuildPhase }),
  z.object({ kind: z.literal('progress'), progress: Progress }),
  z.object({ kind: z.literal('problem'), log: LogName, line: z.number(), text: z.string(), rule: z.string() }),
  z.object({ kind: z.literal('done'), record: BuildRecord }),
]);
export type BuildEvent = z.infer<typeof BuildEvent>;
