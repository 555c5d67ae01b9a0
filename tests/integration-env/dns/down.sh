#!/usr/bin/env bash
# Stops the test unbound and nsd.
set -uo pipefail
env_dir="${SMTPDELIVER_ENV:-/tmp/smtpdeliver-itest}"
dir="$env_dir/dns"
for p in unbound nsd; do
  [ -f "$dir/$p.pid" ] && kill "$(cat "$dir/$p.pid")" 2>/dev/null
done
rm -f "$env_dir/dns.env"
exit 0
