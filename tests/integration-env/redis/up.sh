#!/usr/bin/env bash
# A throwaway redis-server on 127.0.0.1:20379 (no persistence, no other interface) for the
# SmtpDeliver.Redis integration tests. Writes $SMTPDELIVER_ENV/redis.env.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../lib.sh"
env_dir="${SMTPDELIVER_ENV:-/tmp/smtpdeliver-itest}"
dir="$env_dir/redis"
port=20379
apt_install redis-server
bash "$here/down.sh" || true
rm -rf "$dir"
mkdir -p "$dir"
cat > "$dir/redis.conf" <<CONF
bind 127.0.0.1
port $port
protected-mode yes
daemonize yes
pidfile $dir/redis.pid
logfile $dir/redis.log
dir $dir
save ""
appendonly no
CONF
redis-server "$dir/redis.conf"
wait_port 127.0.0.1 "$port"
cat > "$env_dir/redis.env" <<ENV
REDIS_HOST=127.0.0.1
REDIS_PORT=$port
ENV
echo "redis: listening on 127.0.0.1:$port" >&2
