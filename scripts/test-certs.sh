#!/usr/bin/env bash
# Test certificates, made at test time with openssl, never committed: a CA, a
# server certificate for 127.0.0.1/localhost and a client certificate, all
# signed by that CA. The TLS tests (Redis, Kafka) and scripts/kafka-node.sh
# (`init --secure`) use them.
#
# Usage: scripts/test-certs.sh DIR
#   Writes into DIR (created, mode 700), unless DIR/ca.crt already exists:
#     ca.crt ca.key                 the CA
#     server.crt server.key         CN=localhost, SAN IP:127.0.0.1, DNS:localhost
#     client.crt client.key         CN=clvstream (client authentication)
#     othername.crt othername.key   CN=elsewhere.invalid, SAN DNS:elsewhere.invalid only
#                                   (a server certificate that names another host)
#     server.p12                    server key and chain as PKCS#12 (for the JVM)
#     store.password                the PKCS#12 password (random)
#   Prints DIR.
#   CERT_SERVER_NAMES=a,b adds DNS names to the server certificate (compose's
#   service names, scripts/compose-secrets.sh); CERT_DAYS sets the validity
#   (default 2: test certificates exist for one run).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf '[test-certs] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}
# shellcheck source=lib/common.sh
source "$ROOT/scripts/lib/common.sh"

[[ $# -eq 1 ]] || die "usage: $0 DIR"
dir=$1
command -v openssl >/dev/null 2>&1 || apt_install openssl
mkdir -p "$dir"
chmod 700 "$dir"
if [[ -s $dir/ca.crt && -s $dir/server.p12 && -s $dir/client.crt && -s $dir/othername.crt ]]; then
  printf '%s\n' "$dir"
  exit 0
fi

exec 8>"$dir/.lock"
flock -w 60 8 || die "timed out waiting for another run on $dir"
cd "$dir"
umask 077
ssl() { openssl "$@" 2>>openssl.log || die "openssl $1 failed, see $dir/openssl.log"; }
# Short-lived: these exist for one test run.
DAYS=${CERT_DAYS:-2}
[[ $DAYS =~ ^[0-9]+$ ]] || die "CERT_DAYS must be a number of days"
san='IP:127.0.0.1,DNS:localhost'
IFS=',' read -r -a extra_names <<<"${CERT_SERVER_NAMES:-}"
for name in "${extra_names[@]}"; do
  [[ $name =~ ^[A-Za-z0-9.-]+$ ]] || die "CERT_SERVER_NAMES: '$name' is not a host name"
  san+=",DNS:$name"
done
ssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days "$DAYS" -subj '/CN=clvstream test CA' \
  -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign'

# sign NAME SUBJECT EXTENSIONS
sign() {
  local name=$1 subject=$2 ext=$3
  ssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "$subject"
  printf '%s\n' "$ext" >"$name.ext"
  ssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$name.crt" -days "$DAYS" -extfile "$name.ext"
  rm -f "$name.csr" "$name.ext"
}
sign server '/CN=localhost' "subjectAltName=$san"$'\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment'
sign client '/CN=clvstream' $'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment'
sign othername '/CN=elsewhere.invalid' $'subjectAltName=DNS:elsewhere.invalid\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment'

openssl rand -hex 16 >store.password
ssl pkcs12 -export -in server.crt -inkey server.key -certfile ca.crt -name server -out server.p12 -passout file:store.password
chmod 644 ca.crt
printf '%s\n' "$dir"
