#!/usr/bin/env bash
# Makes the venue's TLS files with openssl (docs/tls.md): a venue CA, made once, which the IT person
# installs as trusted on each tablet, and a hub certificate signed by it for the hub's names and LAN
# addresses. Prints the HUB_TLS_* lines for /etc/pos-hub/env and the key pin for nu_hub_key_pin.
# Re-running keeps the CA (tablets already trust it) and issues a new hub certificate.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/venue-cert.sh [--dir DIR] [--days N] [--keep-key] NAME_OR_ADDRESS...
  NAME_OR_ADDRESS  every name and IP address terminals use for the hub, e.g. pos-hub.local 192.168.1.20
  --dir DIR        where the files go (default /etc/pos-hub/tls)
  --days N         hub certificate validity (default 825, the longest iOS accepts)
  --keep-key       reuse the existing hub key, so its pin (nu_hub_key_pin) stays the same
Files: venue-ca.crt (install on tablets), venue-ca.key (keep offline after use), hub.crt, hub.key.
USAGE
}

DIR=/etc/pos-hub/tls
DAYS=825
KEEP_KEY=0
NAMES=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) [ $# -ge 2 ] || { usage >&2; exit 2; }; DIR="$2"; shift 2 ;;
    --days) [ $# -ge 2 ] || { usage >&2; exit 2; }; DAYS="$2"; shift 2 ;;
    --keep-key) KEEP_KEY=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "venue-cert.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) NAMES+=("$1"); shift ;;
  esac
done
if [ "${#NAMES[@]}" -eq 0 ]; then
  echo "venue-cert.sh: name at least one host name or address of the hub" >&2
  usage >&2
  exit 2
fi
case "$DAYS" in ''|*[!0-9]*) echo "venue-cert.sh: --days must be a whole number" >&2; exit 2 ;; esac
command -v openssl >/dev/null || { echo "venue-cert.sh: openssl is required (apt-get install openssl)" >&2; exit 1; }

SAN=""
for name in "${NAMES[@]}"; do
  if [[ "$name" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ || "$name" == *:* ]]; then entry="IP:$name"
  elif [[ "$name" =~ ^[A-Za-z0-9*]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]]; then entry="DNS:$name"
  else echo "venue-cert.sh: \"$name\" is neither a host name nor an IP address" >&2; exit 2
  fi
  SAN="${SAN:+$SAN,}$entry"
done

umask 077
mkdir -p "$DIR"
CA_KEY="$DIR/venue-ca.key"
CA_CRT="$DIR/venue-ca.crt"
HUB_KEY="$DIR/hub.key"
HUB_CRT="$DIR/hub.crt"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

if [ -f "$CA_KEY" ] && [ -f "$CA_CRT" ]; then
  echo "venue-cert.sh: keeping the venue CA $CA_CRT"
else
  openssl ecparam -name prime256v1 -genkey -noout -out "$CA_KEY"
  # A CA for this venue only: it may sign server certificates, nothing below it may sign again.
  openssl req -x509 -new -key "$CA_KEY" -sha256 -days 3650 -out "$CA_CRT" \
    -subj "/CN=POS Hub venue CA $(hostname -s 2>/dev/null || echo hub) $(date +%Y-%m-%d)" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash"
  chmod 644 "$CA_CRT"
  echo "venue-cert.sh: made the venue CA $CA_CRT (install it on every tablet; keep $CA_KEY offline)"
fi

if [ "$KEEP_KEY" = 1 ] && [ -f "$HUB_KEY" ]; then
  echo "venue-cert.sh: keeping the hub key $HUB_KEY"
else
  openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/hub.key"
  mv "$WORK/hub.key" "$HUB_KEY"
fi
openssl req -new -key "$HUB_KEY" -subj "/CN=${NAMES[0]}" -out "$WORK/hub.csr"
cat > "$WORK/ext.cnf" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=$SAN
authorityKeyIdentifier=keyid
subjectKeyIdentifier=hash
EXT
openssl x509 -req -in "$WORK/hub.csr" -CA "$CA_CRT" -CAkey "$CA_KEY" -CAcreateserial -CAserial "$WORK/ca.srl" \
  -days "$DAYS" -sha256 -extfile "$WORK/ext.cnf" -out "$WORK/hub.crt" 2>/dev/null
# The chain a browser needs: the hub certificate, then the CA that signed it.
cat "$WORK/hub.crt" "$CA_CRT" > "$HUB_CRT"
chmod 644 "$HUB_CRT"
chmod 640 "$HUB_KEY"
if id pos-hub >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then chown root:pos-hub "$HUB_KEY"; fi

PIN="$(openssl x509 -in "$HUB_CRT" -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | openssl base64 -A)"
FINGERPRINT="$(openssl x509 -in "$HUB_CRT" -noout -fingerprint -sha256 | cut -d= -f2)"
echo "venue-cert.sh: hub certificate $HUB_CRT for $SAN, valid $DAYS days"
echo "# /etc/pos-hub/env"
echo "HUB_TLS_CERT=$HUB_CRT"
echo "HUB_TLS_KEY=$HUB_KEY"
echo "# terminals' bootstrap setting nu_hub_key_pin (also Chromium's --ignore-certificate-errors-spki-list)"
echo "nu_hub_key_pin=sha256/$PIN"
echo "# certificate fingerprint (SHA-256), as advertised in mDNS TXT cert_sha256"
echo "cert_sha256=$FINGERPRINT"
