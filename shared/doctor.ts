import { z } from 'zod';
import { LabErrorShape } from './errors';

/** Where the Docker endpoint came from, in the order the resolver tries them. */
export const DockerSource = z.enum([
  'setting',
  'DOCKER_HOST',
  'docker-context',
  'default-socket',
  'podman-rootless',
  'podman-rootful',
]);
export type DockerSource = z.infer<typeof DockerSource>;

/** One step the resolver took on its way to the endpoint, so the UI can say why that one won. */
export const DockerCandidate = z.object({
  source: DockerSource,
  /** Absent when the source had nothing to offer (setting empty, DOCKER_HOST unset, …). */
  url: z.string().optional(),
  detail: z.string(),
});
export type DockerCandidate = z.infer<typeof DockerCandidate>;

export const DockerEndpoint = z.object({
  /** As the user would write it: unix:///var/run/docker.sock, tcp://host:2376, ssh://me@host, npipe://… */
  url: z.string(),
  source: DockerSource,
  /** Human words for why this source won, e.g. "context \"colima\" from ~/.docker/config.json". */
  detail: z.string(),
  /** The sources tried, in order, ending with the one that won. */
  candidates: z.array(DockerCandidate).optional(),
  /**
   * Things skipped on the way because they were broken (malformed DOCKER_HOST, unreadable
   * config.json, missing context): the lab still works through a later source, but the
   * docker CLI in the user's shell probably does not.
   */
  problems: z.array(LabErrorShape).optional(),
});
export type DockerEndpoint = z.infer<typeof DockerEndpoint>;

export const DockerStatus = z.object({
  endpoint: DockerEndpoint,
  answering: z.boolean(),
  version: z.string().optional(),
  apiVersion: z.string().optional(),
  os: z.string().optional(),
  arch: z.string().optional(),
  /** "docker" or "podman" as far as the engine tells. */
  engine: z.string().optional(),
  error: LabErrorShape.optional(),
});
export type DockerStatus = z.infer<typeof DockerStatus>;

export const ToolStatus = z.object({
  name: z.string(),
  path: z.string().optional(),
  version: z.string().optional(),
  error: LabErrorShape.optional(),
});
export type ToolStatus = z.infer<typeof ToolStatus>;

export const KvmStatus = z.object({
  usable: z.boolean(),
  detail: z.string(),
  hint: z.string().optional(),
});
export type KvmStatus = z.infer<typeof KvmStatus>;

export const DiskStatus = z.object({
  label: z.string(),
  path: z.string(),
  freeBytes: z.number(),
  totalBytes: z.number(),
  hint: z.string().optional(),
});
export type DiskStatus = z.infer<typeof DiskStatus>;

export const CheckLevel = z.enum(['ok', 'warn', 'error']);
export type CheckLevel = z.infer<typeof CheckLevel>;

/** One line of the report as a person reads it; the structured parts above carry the detail. */
export const Check = z.object({
  id: z.string(),
  label: z.string(),
  level: CheckLevel,
  detail: z.string(),
  hint: z.string().optional(),
});
export type Check = z.infer<typeof Check>;

export const DoctorReport = z.object({
  generatedAt: z.string(),
  docker: DockerStatus,
  qemu: z.object({ system: ToolStatus, img: ToolStatus, kvm: KvmStatus }),
  virtualbox: ToolStatus,
  /** Writes remastered ISOs. */
  xorriso: ToolStatus,
  disks: z.array(DiskStatus),
  checks: z.array(Check),
});
export type DoctorReport = z.infer<typeof DoctorReport>;
