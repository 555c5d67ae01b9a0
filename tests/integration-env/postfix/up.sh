#!/usr/bin/env bash
# Postfix on 127.0.0.1 ports >= 20000, with Dovecot as its SASL authentication server, a test CA made
# here, and Maildir delivery for example.test. Writes $SMTPDELIVER_ENV/postfix.env.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../lib.sh"
env_dir="${SMTPDELIVER_ENV:-/tmp/smtpdeliver-itest}"
dir="$env_dir/postfix"

apt_install postfix dovecot-core openssl

bash "$here/down.sh" >/dev/null 2>&1 || true
rm -rf "$dir"
mkdir -p "$dir"/{etc,queue,data,mail,tls,dovecot/run,dovecot/state}

# --- Test CA and server certificate (leaf + CA sent as chain) ---
tls="$dir/tls"
openssl ecparam -name prime256v1 -genkey -noout -out "$tls/ca.key" 2>/dev/null
openssl req -x509 -new -key "$tls/ca.key" -sha256 -days 2 -subj "/CN=SmtpDeliver test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$tls/ca.pem" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$tls/server.key" 2>/dev/null
openssl req -new -key "$tls/server.key" -subj "/CN=mx.example.test" -out "$tls/server.csr" 2>/dev/null
cat > "$tls/server.ext" <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:mx.example.test,DNS:localhost,DNS:smtpta.dnssec.test,IP:127.0.0.1
EXT
openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 1 -sha256 \
  -extfile "$tls/server.ext" -out "$tls/server.pem" 2>/dev/null
cat "$tls/server.pem" "$tls/ca.pem" > "$tls/chain.pem"
chmod 600 "$tls"/*.key

# --- Dovecot: SASL authentication only, for Postfix ---
dov="$dir/dovecot"
echo "user@example.test:{PLAIN}password-for-tests::::::" > "$dov/users"
cat > "$dov/dovecot.conf" <<CONF
base_dir = $dov/run
state_dir = $dov/state
log_path = $dov/dovecot.log
protocols = none
ssl = no
auth_mechanisms = plain login cram-md5 scram-sha-1 scram-sha-256
disable_plaintext_auth = no
# Tests fail passwords on purpose, many in a row: no delay, no per-IP penalty.
auth_failure_delay = 0
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN $dov/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}
service auth {
  unix_listener auth-postfix {
    mode = 0666
  }
}
CONF
chmod 755 "$dir" "$dov"
dovecot -c "$dov/dovecot.conf" </dev/null >/dev/null 2>&1

# --- Postfix ---
etc="$dir/etc"
uid=$(id -u postfix)
gid=$(id -g postfix)
chown -R postfix:postfix "$dir/mail"
cat > "$etc/vmailbox" <<MAP
user@example.test user@example.test/
rcpt1@example.test rcpt1@example.test/
rcpt2@example.test rcpt2@example.test/
rcpt3@example.test rcpt3@example.test/
user@delivery.dnssec.test user@delivery.dnssec.test/
MAP
cat > "$etc/rcpt_access" <<MAP
reject@example.test 550 5.1.1 rejected for tests
tempfail@example.test 450 4.2.1 try again later
MAP
cat > "$etc/main.cf" <<CONF
compatibility_level = 3.6
config_directory = $etc
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
myhostname = mx.example.test
mydomain = example.test
myorigin = \$mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
biff = no
alias_maps =
alias_database =
append_dot_mydomain = no
smtputf8_enable = yes
message_size_limit = 1048576
virtual_mailbox_domains = example.test, delivery.dnssec.test
virtual_mailbox_base = $dir/mail
virtual_mailbox_maps = texthash:$etc/vmailbox
virtual_minimum_uid = 1
virtual_uid_maps = static:$uid
virtual_gid_maps = static:$gid
default_transport = discard:outbound delivery disabled in the test environment
relay_transport = discard:outbound delivery disabled in the test environment
local_transport = error:local delivery disabled in the test environment
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access texthash:$etc/rcpt_access, permit_sasl_authenticated, reject_unauth_destination
smtpd_tls_chain_files = $tls/server.key, $tls/chain.pem
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtpd_sasl_type = dovecot
smtpd_sasl_path = $dov/run/auth-postfix
smtpd_sasl_auth_enable = no
CONF
cat > "$etc/master.cf" <<CONF
127.0.0.1:20025 inet n - n - - smtpd
127.0.0.1:20026 inet n - n - - smtpd -o smtpd_tls_security_level=encrypt
127.0.0.1:20027 inet n - n - - smtpd -o smtpd_tls_security_level=none
127.0.0.1:20465 inet n - n - - smtpd -o smtpd_tls_wrappermode=yes
127.0.0.1:20587 inet n - n - - smtpd -o smtpd_tls_security_level=encrypt -o smtpd_sasl_auth_enable=yes -o smtpd_tls_auth_only=yes
127.0.0.1:20588 inet n - n - - smtpd -o smtpd_sasl_auth_enable=yes -o smtpd_tls_auth_only=no
127.0.0.1:20466 inet n - n - - smtpd -o smtpd_tls_wrappermode=yes -o smtpd_sasl_auth_enable=yes
127.0.0.1:20028 inet n - n - - smtpd -o smtpd_recipient_limit=2
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
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CONF
# Postfix refuses a non-default configuration directory unless the default main.cf names it.
mkdir -p /etc/postfix
touch /etc/postfix/main.cf
if ! grep -q "^alternate_config_directories = .*$etc" /etc/postfix/main.cf; then
  sed -i '/^alternate_config_directories/d' /etc/postfix/main.cf
  echo "alternate_config_directories = $etc" >> /etc/postfix/main.cf
fi
postfix -c "$etc" set-permissions >/dev/null 2>&1 || true
postfix -c "$etc" check
postfix -c "$etc" start </dev/null >/dev/null 2>&1
for port in 20025 20026 20027 20028 20465 20587 20588 20466; do wait_port 127.0.0.1 "$port"; done

cat > "$env_dir/postfix.env" <<ENV
HOST=127.0.0.1
SMTP_PORT=20025
SMTP_ENCRYPT_PORT=20026
SMTP_NOTLS_PORT=20027
SMTPS_PORT=20465
SUBMISSION_PORT=20587
SUBMISSION_INSECURE_PORT=20588
SUBMISSIONS_PORT=20466
SMTP_RCPTLIMIT_PORT=20028
CA_CERT=$tls/ca.pem
CA_KEY=$tls/ca.key
SERVER_CERT=$tls/server.pem
SERVER_CHAIN=$tls/chain.pem
SERVER_KEY=$tls/server.key
SERVER_NAME=mx.example.test
MAILDIR_ROOT=$dir/mail
SASL_USER=user@example.test
SASL_PASSWORD=password-for-tests
SASL_MECHANISMS=PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256
MESSAGE_SIZE_LIMIT=1048576
MAILLOG=$dir/maillog
CONFIG_DIR=$etc
ENV
echo "postfix: listening on 127.0.0.1:20025-20027,20465,20466,20587,20588" >&2
