#!/usr/bin/env bash
# Starts a Docker daemon when none answers, with the settings that work in a container
# sandbox without iptables or a bridge. Prints the socket's endpoint.
set -euo pipefail
sock=/var/run/docker.sock
if docker -H "unix://$sock" version >/dev/null 2>&1; then
  echo "unix://$sock"; exit 0
fi
command -v dockerd >/dev/null || { echo "dockerd not found: apt-get install docker.io" >&2; exit 1; }
log=${DOCKERD_LOG:-/tmp/isolab-dockerd.log}
nohup dockerd --storage-driver=vfs --iptables=false --ip6tables=false --bridge=none \
  -H "unix://$sock" >"$log" 2>&1 &
for _ in $(seq 1 60); do
  if docker -H "unix://$sock" version >/dev/null 2>&1; then echo "unix://$sock"; exit 0; fi
  sleep 1
done
echo "dockerd did not answer within 60 s; see $log" >&2
tail -20 "$log" >&2
exit 1
