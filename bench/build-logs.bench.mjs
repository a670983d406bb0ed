// Log throughput of a build: a container (the local base image, network none) prints
// 1,000,000 lines; our pipeline (dockerode attach → frame demux → log file + scanner →
// batched watch events to a consumer that serialises them, as the WebSocket transport does)
// against `docker logs -f` printing the same run to /dev/null. Both follow the same container
// from its start. Prints one line:
//   build-logs: ours X ms, docker logs -f Y ms, ratio Z (target ≤ 1.5)
// Env: BENCH_LINES (default 1000000), BENCH_RUNS (default 3; the median ratio is printed).
import { loadTs } from './bundle-ts.mjs';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const LINES = Number(process.env.BENCH_LINES ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BASE = 'isolab-test-base:bookworm';

// Plain node cannot import the TypeScript core: bundle the pieces the build job uses.
const entry = `
import { FrameDemuxer } from './electron/core/build/build-container';
import { BuildLog } from './electron/core/build/build-log';
import { EventBatcher } from './electron/core/stream/batcher';
import { createDockerClient } from './electron/core/docker/client';
import { resolveDockerEndpoint } from './electron/core/docker/endpoint';
export { FrameDemuxer, BuildLog, EventBatcher, createDockerClient, resolveDockerEndpoint };
`;
const { FrameDemuxer, BuildLog, EventBatcher, createDockerClient, resolveDockerEndpoint } = await loadTs(entry, 'build-logs-pipeline');

try {
  execFileSync('docker', ['image', 'inspect', BASE], { stdio: 'ignore' });
} catch {
  console.error(`bench: ${BASE} is missing: run bash scripts/make-base-image.sh`);
  process.exit(1);
}

const docker = createDockerClient(resolveDockerEndpoint());

async function once(run) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'isolab-bench-logs-'));
  const container = await docker.createContainer({
    Image: BASE,
    // Lines of a busy build log; seq writes them as fast as the pipe takes them.
    Cmd: ['seq', '-f', '%.0f: CC output/build/busybox-1.36.1/libbb/some_file.o and some more build text', '1', String(LINES)],
    Tty: false,
    AttachStdout: true,
    AttachStderr: true,
    Labels: { 'io.isolab.bench': 'build-logs' },
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    // Ours: exactly the build job's path, with a consumer serialising each batch.
    let consumed = 0;
    let batches = 0;
    const batcher = new EventBatcher('json', (batch) => {
      batches++;
      consumed += JSON.stringify(batch).length;
    });
    const log = new BuildLog(path.join(dir, 'build.log'), {
      text: (text) => batcher.push({ kind: 'log', log: 'build', text }),
      problem: () => {},
      buildroot: () => {},
      imageStep: () => {},
    });
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const demux = new FrameDemuxer((data) => {
      if (!log.write(data)) {
        stream.pause();
        log.onceDrain(() => stream.resume());
      }
    });
    stream.on('data', (chunk) => demux.push(chunk));
    const oursDone = new Promise((resolve) => stream.once('end', resolve)).then(async () => {
      await log.close();
      batcher.close();
      return performance.now();
    });

    const t0 = performance.now();
    await container.start();
    // `docker logs -f` from the same start, printing to /dev/null.
    const devnull = openSync('/dev/null', 'w');
    const theirsDone = new Promise((resolve, reject) => {
      const p = spawn('docker', ['logs', '-f', container.id], { stdio: ['ignore', devnull, devnull] });
      p.once('error', reject);
      p.once('exit', (code) => (code === 0 ? resolve(performance.now()) : reject(new Error(`docker logs exited ${code}`))));
    });
    const [tOurs, tTheirs] = await Promise.all([oursDone, theirsDone]);
    await container.wait();

    const lines = log.lines;
    const bytes = statSync(path.join(dir, 'build.log')).size;
    if (lines !== LINES) throw new Error(`the log file got ${lines} lines, not ${LINES}`);
    const ours = tOurs - t0;
    const theirs = tTheirs - t0;
    console.error(
      `run ${run}: ours ${ours.toFixed(0)} ms (${(bytes / 1e6).toFixed(1)} MB file, ${batches} batches, ${(consumed / 1e6).toFixed(1)} MB to the consumer), docker logs -f ${theirs.toFixed(0)} ms`,
    );
    return { ours, theirs };
  } finally {
    await container.remove({ force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = [];
for (let i = 1; i <= RUNS; i++) results.push(await once(i));
results.sort((a, b) => a.ours / a.theirs - b.ours / b.theirs);
const mid = results[Math.floor(results.length / 2)];
const ratio = mid.ours / mid.theirs;
console.log(`build-logs: ours ${mid.ours.toFixed(0)} ms, docker logs -f ${mid.theirs.toFixed(0)} ms, ratio ${ratio.toFixed(2)} (target ≤ 1.5)`);
process.exitCode = ratio <= 1.5 ? 0 : 1;
