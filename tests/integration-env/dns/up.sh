#!/usr/bin/env bash
# A validating resolver (unbound, 127.0.0.1:20054) in front of an authoritative server (nsd,
# 127.0.0.1:20053) serving a DNSSEC-signed zone dnssec.test and an unsigned zone insecure.test, signed
# here with fresh keys; unbound trusts only the key of dnssec.test and never queries off loopback.
# Extra records for dnssec.test can be appended from $SMTPDELIVER_DNS_EXTRA (a zone-file fragment).
# unbound also answers on 127.0.20.53 port 53, for programs that only speak to port 53 through the libc
# resolver (posttls-finger, run in a mount namespace with its own resolv.conf, see DaneNamesDifferentialTests).
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
# The port Postfix listens on: records for the DANE-names test domains are published for port 25 (what
# SmtpDeliver looks up) and for this port (what posttls-finger looks up when it connects there).
smtp_port=$(sed -n 's/^SMTP_PORT=//p' "$env_dir/postfix.env" 2>/dev/null || true)
smtp_port=${smtp_port:-20025}
tlsa() { echo "_25._tcp.$1 TLSA $2"; echo "_$smtp_port._tcp.$1 TLSA $2"; }
cat > example.test.zone <<ZONE
\$ORIGIN example.test.
\$TTL 300
@ SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 300
@ NS ns
ns A 127.0.0.1
ZONE
insecure_extra=""
if [ -f "$postfix_tls/server.pem" ]; then
  ee=$(openssl x509 -in "$postfix_tls/server.pem" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
  ta=$(openssl x509 -in "$postfix_tls/ca.pem" -outform DER | sha256sum | cut -d' ' -f1)
  cat >> dnssec.test.zone <<ZONE
smtp A 127.0.0.1
$(tlsa smtp "3 1 1 $ee")
smtpta A 127.0.0.1
$(tlsa smtpta "2 0 1 $ta")
smtpbad A 127.0.0.1
$(tlsa smtpbad "$mismatch")
delivery MX 5 down.dnssec.test.
delivery MX 10 smtp.dnssec.test.
down A 127.0.0.9
_25._tcp.down TLSA $usable
ZONE
  # DANE names and applicability (RFC 7672 2.2.2, 3.2.2), compared with posttls-finger. Postfix's
  # certificate names mx.example.test, localhost and smtpta.dnssec.test; every host here is Postfix.
  # Each domain below is one row of DaneNamesDifferentialTests.
  cat >> dnssec.test.zone <<ZONE
; dn-ee: plain MX host with a DANE-EE record.
dn-ee MX 10 smtp.dnssec.test.
; smtpta.dnssec.test as recipient domain (a certificate name) with an MX host that is not: DANE-TA
; verifies only because the original next hop is a reference identifier (RFC 7672 3.2.2).
smtpta MX 10 dn-tahost.dnssec.test.
dn-tahost A 127.0.0.1
$(tlsa dn-tahost "2 0 1 $ta")
; The same through a secure CNAME of the recipient domain: the expanded next hop is accepted too.
dn-nexthop-alias CNAME smtpta.dnssec.test.
; A DANE-TA host whose names are unrelated to any certificate name: fails.
dn-ta-wrongname MX 10 dn-tahost.dnssec.test.
; MX host reached through a secure CNAME; TLSA at the expanded name (the certificate's name).
dn-secure-cname MX 10 dn-alias-ta.dnssec.test.
dn-alias-ta CNAME smtpta.dnssec.test.
; Secure CNAME, no TLSA at the expanded name: fall back to the original name's records.
dn-orig-tlsa MX 10 dn-alias-orig.dnssec.test.
dn-alias-orig CNAME dn-plain.dnssec.test.
dn-plain A 127.0.0.1
$(tlsa dn-alias-orig "3 1 1 $ee")
; Secure CNAME with records at both names: the expanded name wins (its record mismatches).
dn-expanded-first MX 10 dn-alias-pref.dnssec.test.
dn-alias-pref CNAME smtpbad.dnssec.test.
$(tlsa dn-alias-pref "3 1 1 $ee")
; MX host whose CNAME leaves the signed zone: the first CNAME is secure, so DANE applies with the
; original name as TLSA base domain (RFC 7672 2.2.2), never the insecure target's records or name.
dn-leave-ok MX 10 dn-out-ok.dnssec.test.
dn-out-ok CNAME smtp.insecure.test.
$(tlsa dn-out-ok "3 1 1 $ee")
dn-leave-bad MX 10 dn-out-bad.dnssec.test.
dn-out-bad CNAME smtp.insecure.test.
$(tlsa dn-out-bad "$mismatch")
dn-leave-none MX 10 dn-out-none.dnssec.test.
dn-out-none CNAME smtp.insecure.test.
; DANE-TA at the original name, certificate valid only for the insecure target mx.example.test: fails.
dn-leave-ta MX 10 dn-out-ta.dnssec.test.
dn-out-ta CNAME mx.example.test.
$(tlsa dn-out-ta "2 0 1 $ta")
; Secure MX pointing straight into the unsigned zone: no DANE.
dn-mx-insecure MX 10 smtp.insecure.test.
; Mismatching record, and only unusable records.
dn-mismatch MX 10 smtpbad.dnssec.test.
dn-unusable MX 10 dn-unusable-host.dnssec.test.
dn-unusable-host A 127.0.0.1
$(tlsa dn-unusable-host "$unusable")
; Mixed: the first MX has no DANE, a later one verifies.
dn-mixed MX 10 dn-plain.dnssec.test.
dn-mixed MX 20 smtp.dnssec.test.
ZONE
  insecure_extra="smtp A 127.0.0.1
$(tlsa smtp "3 1 1 $ee")
dn-insecure-mx MX 10 smtp.insecure.test."
  cat >> example.test.zone <<ZONE
mx A 127.0.0.1
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
$insecure_extra
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
zone:
  name: "example.test"
  zonefile: "example.test.zone"
CONF

cat > unbound.conf <<CONF
server:
  interface: 127.0.0.1@20054
  interface: 127.0.20.53@53
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
stub-zone:
  name: "example.test"
  stub-addr: 127.0.0.1@20053
CONF

nsd -c "$dir/nsd.conf"
unbound -c "$dir/unbound.conf"
wait_port 127.0.0.1 20053
wait_port 127.0.0.1 20054
wait_port 127.0.20.53 53

cat > "$env_dir/dns.env" <<ENV
RESOLVER=127.0.0.1:20054
LIBC_RESOLVER=127.0.20.53
AUTH_SERVER=127.0.0.1:20053
SIGNED_ZONE=dnssec.test
INSECURE_ZONE=insecure.test
TLSA_USABLE=$usable
TLSA_MISMATCH=$mismatch
TLSA_UNUSABLE=$unusable
TLSA_BOGUS=$bogus
ENV
echo "dns: nsd on 127.0.0.1:20053, unbound on 127.0.0.1:20054 and 127.0.20.53:53" >&2
