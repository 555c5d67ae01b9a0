#!/usr/bin/env bash
# Postfix's smtp(8) draining a backlog to the benchmark sink: a THROWAWAY Postfix instance (its own config
# directory and queue under $BENCH_DIR, its own smtpd on 127.0.0.1:$INJECT_PORT (default 21025) for injection;
# never the integration environment's) relays everything to `SmtpDeliver.Benchmarks sink` on an ephemeral
# loopback port. Messages are injected over SMTP (python3 smtplib, one connection; sendmail(1) takes ~1 s per
# message on a loaded machine) and held by a header_checks HOLD rule, released at once with
# `postsuper -H ALL` + `postqueue -f`, and the sink prints the time from the first message to the N-th.
#
#   sudo tests/SmtpDeliver.Benchmarks/postfix/run.sh [N=2000]
#
# Three runs: plain; STARTTLS (a new TLS session per connection, Postfix's default); STARTTLS with
# smtp_tls_connection_reuse = yes (through tlsproxy(8)). Postfix defaults otherwise (20 connections per
# destination). Needs root (Postfix), postfix installed, and the benchmarks project built in Release.
set -euo pipefail
n="${1:-2000}"
repo="$(cd "$(dirname "$0")/../../.." && pwd)"
dir="${BENCH_DIR:-/tmp/smtpdeliver-bench-postfix}"
inject_port="${INJECT_PORT:-21025}"
etc="$dir/etc"
sink=(dotnet run -c Release --no-build --project "$repo/tests/SmtpDeliver.Benchmarks" -- sink)

stop() { [ -f "$etc/main.cf" ] && postfix -c "$etc" stop >/dev/null 2>&1 || true; }
trap stop EXIT
stop
rm -rf "$dir"
mkdir -p "$etc" "$dir/queue" "$dir/data"

cat > "$etc/main.cf" <<CONF
compatibility_level = 3.6
config_directory = $etc
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
myhostname = bench-postfix.example
mydomain = bench.example
myorigin = \$mydomain
mydestination =
inet_interfaces = 127.0.0.1
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
inet_protocols = ipv4
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
biff = no
alias_maps =
alias_database =
local_transport = error:no local delivery
header_checks = regexp:$etc/hold
relayhost = [127.0.0.1]:2525
smtp_tls_security_level = none
CONF
echo '/^Subject: postfix-bench/ HOLD' > "$etc/hold"
cat > "$etc/master.cf" <<CONF
127.0.0.1:$inject_port inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
tlsproxy  unix  -       -       n       -       0       tlsproxy
postlog   unix-dgram n  -       n       -       1       postlogd
CONF
# Postfix accepts a non-default configuration directory only when the default main.cf lists it: ADD ours to
# the line (the integration environment's directory, if listed, stays).
mkdir -p /etc/postfix && touch /etc/postfix/main.cf
if ! grep -q "^alternate_config_directories.*$etc" /etc/postfix/main.cf; then
  if grep -q "^alternate_config_directories" /etc/postfix/main.cf; then
    sed -i "s|^alternate_config_directories.*|& $etc|" /etc/postfix/main.cf
  else
    echo "alternate_config_directories = $etc" >> /etc/postfix/main.cf
  fi
fi
postfix -c "$etc" set-permissions >/dev/null 2>&1 || true
postfix -c "$etc" check
postfix -c "$etc" start </dev/null >/dev/null 2>&1

message="$dir/message.eml"
{
  printf 'From: <s@bench.example>\nTo: <r0@sink.example>\nSubject: postfix-bench\n\n'
  for i in $(seq 1 14); do printf 'line %d xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n' "$i"; done
} > "$message"   # about 1 KB

run() {
  local label="$1" tls="$2" reuse="$3"
  postconf -c "$etc" -e "smtp_tls_security_level = $([ "$tls" = 1 ] && echo may || echo none)" "smtp_tls_connection_reuse = $reuse"
  postfix -c "$etc" reload >/dev/null 2>&1
  python3 - "$inject_port" "$n" "$message" <<'PY'
import smtplib, sys
port, n, body = int(sys.argv[1]), int(sys.argv[2]), open(sys.argv[3], "rb").read().replace(b"\n", b"\r\n")
with smtplib.SMTP("127.0.0.1", port) as s:
    for _ in range(n):
        s.sendmail("s@bench.example", ["r0@sink.example"], body)
PY
  until [ "$(find "$dir/queue/hold" -type f | wc -l)" -ge "$n" ]; do sleep 0.2; done
  local log="$dir/sink-$label.log"
  "${sink[@]}" --expect "$n" $([ "$tls" = 1 ] && echo --tls) > "$log" 2>&1 &
  local pid=$!
  until grep -q "listening on" "$log"; do sleep 0.2; done
  local port; port="$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$log")"
  postconf -c "$etc" -e "relayhost = [127.0.0.1]:$port"
  postfix -c "$etc" reload >/dev/null 2>&1
  sleep 1
  local start; start=$(date +%s.%N)
  postsuper -c "$etc" -H ALL >/dev/null 2>&1
  postqueue -c "$etc" -f
  wait "$pid"
  local end; end=$(date +%s.%N)
  echo "postfix $label: $(tail -1 "$log"); release to last message $(echo "$end - $start" | bc) s (includes the sink's 50 ms poll)"
}
run plain 0 no
run starttls 1 no
run starttls-reuse 1 yes
