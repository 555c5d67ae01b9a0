#!/usr/bin/env bash
# Stops the test unbound and nsd, waiting until they are gone so their ports are free.
set -uo pipefail
env_dir="${SMTPDELIVER_ENV:-/tmp/smtpdeliver-itest}"
dir="$env_dir/dns"
for p in unbound nsd; do
  [ -f "$dir/$p.pid" ] || continue
  pid=$(cat "$dir/$p.pid")
  kill "$pid" 2>/dev/null
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
done
rm -f "$env_dir/dns.env"
exit 0
