#!/usr/bin/env bash
# Stops the test redis-server, waiting until it is gone so its port is free.
set -uo pipefail
env_dir="${SMTPDELIVER_ENV:-/tmp/smtpdeliver-itest}"
dir="$env_dir/redis"
if [ -f "$dir/redis.pid" ]; then
  pid=$(cat "$dir/redis.pid")
  kill "$pid" 2>/dev/null
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
fi
rm -f "$env_dir/redis.env"
exit 0
