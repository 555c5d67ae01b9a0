#!/usr/bin/env bash
# A validating resolver (unbound, 127.0.0.1:20054) in front of an authoritative server (nsd,
# 127.0.0.1:20053) serving a DNSSEC-signed zone dnssec.test and an unsigned zone insecure.test, signed
# here with fresh keys; unbound trusts only the key of dnssec.test and never queries off loopback.
# Extra records for dnssec.test can be appended from $SMTPDELIVER_DNS_EXTRA (a zone-file fragment).
# Writes $SMTPDELIVER_ENV/dns.env.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../lib.sh"
env_dir="${SMTPDELIVER_ENV:-/tmp/smtpdeliver-itest}"
dir="$env_dir/dns"

apt_install nsd unbound ldnsutils

bash "$here/down.sh" >/dev/null 2>&1 || true
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"

usable="3 1 1 $(printf 'usable-key-for-tests' | sha256sum | cut -d' ' -f1)"
bogus="3 1 1 $(printf 'bogus-signature-record' | sha256sum | cut -d' ' -f1)"
mismatch="3 1 1 0000000000000000000000000000000000000000000000000000000000000000"
unusable="1 1 1 $(printf 'pkix-ee-is-unusable-for-smtp' | sha256sum | cut -d' ' -f1)"

cat > dnssec.test.zone <<ZONE
\$ORIGIN dnssec.test.
\$TTL 300
@ SOA ns.dnssec.test. hostmaster.dnssec.test. 1 3600 600 86400 300
@ NS ns
ns A 127.0.0.1
@ MX 10 mx.dnssec.test.
mx A 127.0.1.10
_25._tcp.mx TLSA $usable
cnamemx MX 10 mxalias.dnssec.test.
mxalias CNAME mx.dnssec.test.
nullmx MX 0 .
nomx A 127.0.1.11
unusable MX 10 mxunusable.dnssec.test.
mxunusable A 127.0.1.12
_25._tcp.mxunusable TLSA $unusable
mismatch MX 10 mxmismatch.dnssec.test.
mxmismatch A 127.0.1.13
_25._tcp.mxmismatch TLSA $mismatch
bogus MX 10 mxbogus.dnssec.test.
mxbogus A 127.0.1.14
_25._tcp.mxbogus TLSA $bogus
notlsa MX 10 mxnotlsa.dnssec.test.
mxnotlsa A 127.0.1.15
ZONE
# When the Postfix component runs, publish DANE records for its certificate (leaf key and CA).
postfix_tls="$env_dir/postfix/tls"
if [ -f "$postfix_tls/server.pem" ]; then
  ee=$(openssl x509 -in "$postfix_tls/server.pem" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
  ta=$(openssl x509 -in "$postfix_tls/ca.pem" -outform DER | sha256sum | cut -d' ' -f1)
  cat >> dnssec.test.zone <<ZONE
smtp A 127.0.0.1
_25._tcp.smtp TLSA 3 1 1 $ee
smtpta A 127.0.0.1
_25._tcp.smtpta TLSA 2 0 1 $ta
smtpbad A 127.0.0.1
_25._tcp.smtpbad TLSA $mismatch
delivery MX 5 down.dnssec.test.
delivery MX 10 smtp.dnssec.test.
down A 127.0.0.9
_25._tcp.down TLSA $usable
ZONE
fi
if [ -n "${SMTPDELIVER_DNS_EXTRA:-}" ] && [ -f "$SMTPDELIVER_DNS_EXTRA" ]; then
  cat "$SMTPDELIVER_DNS_EXTRA" >> dnssec.test.zone
fi

cat > insecure.test.zone <<ZONE
\$ORIGIN insecure.test.
\$TTL 300
@ SOA ns.insecure.test. hostmaster.insecure.test. 1 3600 600 86400 300
@ NS ns
ns A 127.0.0.1
@ MX 10 mx.insecure.test.
mx A 127.0.1.20
_25._tcp.mx TLSA $usable
ZONE

ksk=$(ldns-keygen -a ECDSAP256SHA256 -k dnssec.test)
zsk=$(ldns-keygen -a ECDSAP256SHA256 dnssec.test)
ldns-signzone -n dnssec.test.zone "$ksk" "$zsk"
# Break the signature over the TLSA record of mxbogus: unbound must answer SERVFAIL for it.
awk '$1 == "_25._tcp.mxbogus.dnssec.test." && $4 == "RRSIG" && $5 == "TLSA" { sig = $NF; $NF = (substr(sig, 1, 1) == "A" ? "B" : "A") substr(sig, 2) } { print }' \
  dnssec.test.zone.signed > dnssec.test.zone.bogus && mv dnssec.test.zone.bogus dnssec.test.zone.signed
cp "$ksk.key" trust-anchor.key

cat > nsd.conf <<CONF
server:
  ip-address: 127.0.0.1@20053
  port: 20053
  do-ip6: no
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "$dir"
  database: ""
  zonelistfile: "$dir/zone.list"
  xfrdfile: "$dir/xfrd.state"
  xfrdir: "$dir"
  pidfile: "$dir/nsd.pid"
  logfile: "$dir/nsd.log"
  verbosity: 1
remote-control:
  control-enable: no
zone:
  name: "dnssec.test"
  zonefile: "dnssec.test.zone.signed"
zone:
  name: "insecure.test"
  zonefile: "insecure.test.zone"
CONF

cat > unbound.conf <<CONF
server:
  interface: 127.0.0.1@20054
  port: 20054
  do-ip6: no
  do-daemonize: yes
  username: ""
  chroot: ""
  directory: "$dir"
  pidfile: "$dir/unbound.pid"
  logfile: "$dir/unbound.log"
  use-syslog: no
  verbosity: 1
  val-log-level: 2
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  module-config: "validator iterator"
  trust-anchor-file: "$dir/trust-anchor.key"
  qname-minimisation: no
  cache-max-ttl: 5
  cache-max-negative-ttl: 5
  # "test." is a special-use name unbound answers itself by default (RFC 6761).
  local-zone: "test." nodefault
remote-control:
  control-enable: no
# Every name goes to the local authoritative server: nothing leaves loopback.
stub-zone:
  name: "."
  stub-addr: 127.0.0.1@20053
stub-zone:
  name: "dnssec.test"
  stub-addr: 127.0.0.1@20053
stub-zone:
  name: "insecure.test"
  stub-addr: 127.0.0.1@20053
CONF

nsd -c "$dir/nsd.conf"
unbound -c "$dir/unbound.conf"
wait_port 127.0.0.1 20053
wait_port 127.0.0.1 20054

cat > "$env_dir/dns.env" <<ENV
RESOLVER=127.0.0.1:20054
AUTH_SERVER=127.0.0.1:20053
SIGNED_ZONE=dnssec.test
INSECURE_ZONE=insecure.test
TLSA_USABLE=$usable
TLSA_MISMATCH=$mismatch
TLSA_UNUSABLE=$unusable
TLSA_BOGUS=$bogus
ENV
echo "dns: nsd on 127.0.0.1:20053, unbound on 127.0.0.1:20054" >&2
