import http from 'node:http';

/** Asks the engine itself, over its socket, so the UI is compared with the truth. */
export function engineVersion(socketPath = '/var/run/docker.sock'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path: '/version' }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        try {
          resolve((JSON.parse(body) as { Version: string }).Version);
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
  });
}

/** Ids of the containers (running or not) carrying `label` (key or key=value), straight from the engine. */
export function containersWithLabel(label: string, socketPath = '/var/run/docker.sock'): Promise<string[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path: `/containers/json?all=1&filters=${filters}` }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        try {
          resolve((JSON.parse(body) as { Id: string }[]).map((c) => c.Id));
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
  });
}
