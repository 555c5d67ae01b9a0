#!/usr/bin/env bash
# Stops the test Postfix and Dovecot.
set -uo pipefail
env_dir="${SMTPDELIVER_ENV:-/tmp/smtpdeliver-itest}"
dir="$env_dir/postfix"
[ -f "$dir/etc/main.cf" ] && postfix -c "$dir/etc" stop >/dev/null 2>&1
if [ -f "$dir/dovecot/run/master.pid" ]; then
  kill "$(cat "$dir/dovecot/run/master.pid")" 2>/dev/null
fi
for _ in $(seq 1 50); do
  [ -f "$dir/queue/pid/master.pid" ] && kill -0 "$(tr -d ' ' < "$dir/queue/pid/master.pid")" 2>/dev/null || break
  sleep 0.1
done
rm -f "$env_dir/postfix.env"
exit 0
