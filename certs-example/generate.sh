#!/usr/bin/env bash
#
# Regenerates the Borderpost example PKI in this directory.
#
#   certs-example/generate.sh        (works from any cwd)
#
# EVERY KEY PRODUCED HERE IS PUBLIC. It is committed to the repository so that
# tests and the demo are reproducible without a PKI. Never use any of it in
# production. See README.md for what each file is for.
#
# Only the openssl CLI (3.0+) and bash are needed. `openssl ca` is used for
# every certificate because it is the only 3.0 CLI path that accepts explicit
# -startdate/-enddate; fixed dates keep the fixture valid for ~20 years and let
# us mint the expired / not-yet-valid negative cases.
#
# The script builds everything in a temporary directory, self-checks the
# result and only then replaces the committed files, so a failed run never
# leaves a half-written PKI behind. The CA databases (index.txt, serials,
# crlnumber) live only in that temporary directory.

set -euo pipefail

OUT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
STAGE="$WORK/out"
LOG="$WORK/openssl.log"
CNF="$WORK/openssl.cnf"
mkdir -p "$STAGE"
# openssl.cnf below refers to $ENV::CA_DIR; every openssl command parses the
# whole file, so it must be set even for commands that use no CA database.
export CA_DIR="$WORK"

# Fixed validity windows. Positive certificates must still be valid when the
# test suite runs years from now; leaves expire before their CAs so that no
# chain ever outlives its root.
CA_START=20250101000000Z
CA_END=20500101000000Z
LEAF_START=20250101000000Z
LEAF_END=20460101000000Z
# CRLs need a nextUpdate far in the future too, otherwise -crl_check (and
# rustls) would reject them as stale long before the certificates expire.
CRL_NEXT=20491231000000Z

# Organisation identifiers, kept in one place because they are checksummed by
# the self-check below and documented in README.md.
CVR_GATEWAY=13748136
CVR_SENDER_DK=55133018
CVR_SENDER_DK_OTHER=34485771
CVR_POSTBOX_DK=34051178
ORGNR_SENDER_NO=991825827
ORGNR_POSTBOX_NO=984661185
ORGNR_PEER_GATEWAY=123456785
ORGNR_SENDER_SE=2021004748
ORGNR_POSTBOX_SE=5566778899   # invented: 556 prefix (aktiebolag), Luhn-valid
YTUNNUS_SENDER_FI=1366959-8
YTUNNUS_POSTBOX_FI=0245437-2

die() { echo "generate.sh: $*" >&2; exit 1; }

# openssl ca is chatty; keep its output in a log and only show it on failure.
run() { "$@" >>"$LOG" 2>&1 || { cat "$LOG" >&2; die "failed: $*"; }; }

# One config for all CAs; CA_DIR selects which CA database is in use.
# - rand_serial: unique random serials without a serial file to manage.
# - unique_subject = no: the negative cases deliberately reuse sender-dk's DN.
# - the policy is permissive and -preserveDN is used everywhere, so the subject
#   (including organizationIdentifier / serialNumber) is exactly what we ask
#   for, in the order we ask for it.
# - copy_extensions = none: extensions come only from the sections below.
cat >"$CNF" <<'EOF'
[ ca ]
default_ca = CA_default

[ CA_default ]
dir             = $ENV::CA_DIR
database        = $dir/index.txt
new_certs_dir   = $dir/newcerts
crlnumber       = $dir/crlnumber
rand_serial     = yes
default_md      = sha256
policy          = policy_anything
unique_subject  = no
copy_extensions = none
email_in_dn     = no
crl_extensions  = crl_ext

[ policy_anything ]
countryName = optional

[ req ]
distinguished_name = req_dn
string_mask        = utf8only
prompt             = no

[ req_dn ]
# unused: subjects are always given with -subj

[ v3_root ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

# Every end-entity section repeats CA:FALSE + SKI + AKID: rustls/webpki and
# openssl -x509_strict want them, and openssl configs have no inheritance.
[ v3_sender ]
basicConstraints       = critical, CA:FALSE
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = clientAuth

# Negative case: a perfectly valid certificate that just isn't meant for
# client authentication.
[ v3_sender_serveronly ]
basicConstraints       = critical, CA:FALSE
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth

# Gateways are TLS servers to senders and TLS clients to upstreams/peers.
[ v3_gateway ]
basicConstraints       = critical, CA:FALSE
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth, clientAuth
subjectAltName         = DNS:localhost, IP:127.0.0.1

# Postbox-provider certs do triple duty: CMS RSA-OAEP recipient
# (keyEncipherment/dataEncipherment), receipt signer (digitalSignature) and
# TLS server/client of the national-system simulators.
[ v3_postbox ]
basicConstraints       = critical, CA:FALSE
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
keyUsage               = critical, digitalSignature, keyEncipherment, dataEncipherment
extendedKeyUsage       = serverAuth, clientAuth
subjectAltName         = DNS:localhost, IP:127.0.0.1

[ crl_ext ]
authorityKeyIdentifier = keyid:always
EOF

# Unencrypted PKCS#8 ("BEGIN PRIVATE KEY"), which is what rustls-pemfile and
# most test tooling expect.
new_key() { # name bits
  run openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$2" \
    -out "$STAGE/$1.key"
}

ca_db() { # ca-name -> prints the CA database directory, creating it if needed
  local d="$WORK/db/$1"
  if [[ ! -d $d ]]; then
    mkdir -p "$d/newcerts"
    : >"$d/index.txt"
    echo 01 >"$d/crlnumber"
  fi
  echo "$d"
}

make_root() { # name subject
  local name=$1 subj=$2
  new_key "$name" 3072
  run openssl req -new -config "$CNF" -key "$STAGE/$name.key" -subj "$subj" \
    -out "$WORK/$name.csr"
  CA_DIR="$(ca_db "$name")" run openssl ca -batch -config "$CNF" -selfsign \
    -keyfile "$STAGE/$name.key" -in "$WORK/$name.csr" -extensions v3_root \
    -startdate "$CA_START" -enddate "$CA_END" -preserveDN -notext \
    -out "$STAGE/$name.crt"
}

issue() { # name issuer-ca extensions-section subject [start end]
  local name=$1 ca=$2 ext=$3 subj=$4 start=${5:-$LEAF_START} end=${6:-$LEAF_END}
  new_key "$name" 2048
  run openssl req -new -config "$CNF" -key "$STAGE/$name.key" -subj "$subj" \
    -out "$WORK/$name.csr"
  CA_DIR="$(ca_db "$ca")" run openssl ca -batch -config "$CNF" \
    -cert "$STAGE/$ca.crt" -keyfile "$STAGE/$ca.key" -in "$WORK/$name.csr" \
    -extensions "$ext" -startdate "$start" -enddate "$end" -preserveDN -notext \
    -out "$STAGE/$name.crt"
}

gen_crl() { # ca-name
  CA_DIR="$(ca_db "$1")" run openssl ca -batch -config "$CNF" -gencrl \
    -cert "$STAGE/$1.crt" -keyfile "$STAGE/$1.key" \
    -crl_nextupdate "$CRL_NEXT" -out "$STAGE/$1.crl"
}

# --- Roots --------------------------------------------------------------------

make_root ca-dk "/C=DK/O=Borderpost Example CA DK/CN=Borderpost Example Root CA DK"
make_root ca-no "/C=NO/O=Borderpost Example CA NO/CN=Borderpost Example Root CA NO"
make_root ca-se "/C=SE/O=Borderpost Example CA SE/CN=Borderpost Example Root CA SE"
make_root ca-fi "/C=FI/O=Borderpost Example CA FI/CN=Borderpost Example Root CA FI"
# The federation is not national, so its root carries no country.
make_root ca-federation "/O=Borderpost Example CA Federation/CN=Borderpost Example Root CA Federation"
# Untrusted look-alike: byte-identical DN to ca-dk but a different key, so a
# verifier that matches issuers by name alone (and not by signature) is caught.
make_root ca-unknown "/C=DK/O=Borderpost Example CA DK/CN=Borderpost Example Root CA DK"

# --- Gateways -----------------------------------------------------------------

issue gateway ca-federation v3_gateway \
  "/C=DK/O=Borderpost Example Gateway/organizationIdentifier=NTRDK-$CVR_GATEWAY/CN=localhost"
issue peer-gateway ca-federation v3_gateway \
  "/C=NO/O=Borderpost Example Peer Gateway NO/organizationIdentifier=NTRNO-$ORGNR_PEER_GATEWAY/CN=localhost"

# --- Sender organisations -----------------------------------------------------

SENDER_DK_SUBJ="/C=DK/O=Example Kommune/organizationIdentifier=NTRDK-$CVR_SENDER_DK/CN=Example Kommune Borderpost client"

issue sender-dk ca-dk v3_sender "$SENDER_DK_SUBJ"
issue sender-dk-other ca-dk v3_sender \
  "/C=DK/O=Example Andeby Kommune/organizationIdentifier=NTRDK-$CVR_SENDER_DK_OTHER/CN=Example Andeby Kommune Borderpost client"
# Older Norwegian (Buypass) and Swedish certificates carry the org number in
# serialNumber (2.5.4.5) instead of / besides organizationIdentifier; both are
# present so that the gateway's extraction of either form is exercised.
issue sender-no ca-no v3_sender \
  "/C=NO/O=Digitaliseringsdirektoratet (example)/organizationIdentifier=NTRNO-$ORGNR_SENDER_NO/serialNumber=$ORGNR_SENDER_NO/CN=Digitaliseringsdirektoratet (example) Borderpost client"
issue sender-se ca-se v3_sender \
  "/C=SE/O=Kommun A (example)/organizationIdentifier=NTRSE-$ORGNR_SENDER_SE/serialNumber=16$ORGNR_SENDER_SE/CN=Kommun A (example) Borderpost client"
issue sender-fi ca-fi v3_sender \
  "/C=FI/O=Example Oy/organizationIdentifier=NTRFI-$YTUNNUS_SENDER_FI/CN=Example Oy Borderpost client"

# --- Postbox providers (national systems) -------------------------------------

issue postbox-dk ca-dk v3_postbox \
  "/C=DK/O=Digitaliseringsstyrelsen (example Digital Post)/organizationIdentifier=NTRDK-$CVR_POSTBOX_DK/CN=Example Digital Post DK postbox"
issue postbox-no ca-no v3_postbox \
  "/C=NO/O=Posten Norge (example Digipost)/organizationIdentifier=NTRNO-$ORGNR_POSTBOX_NO/serialNumber=$ORGNR_POSTBOX_NO/CN=Example Digipost NO postbox"
issue postbox-se ca-se v3_postbox \
  "/C=SE/O=Example Brevlada AB (example Mina meddelanden)/organizationIdentifier=NTRSE-$ORGNR_POSTBOX_SE/serialNumber=16$ORGNR_POSTBOX_SE/CN=Example Mina meddelanden SE postbox"
issue postbox-fi ca-fi v3_postbox \
  "/C=FI/O=Digi- ja vaestotietovirasto (example)/organizationIdentifier=NTRFI-$YTUNNUS_POSTBOX_FI/CN=Example Suomi.fi Messages FI postbox"

# --- Negative cases -----------------------------------------------------------
# All impersonate sender-dk's subject so that the only reason to reject them is
# the defect under test.

issue sender-dk-expired ca-dk v3_sender "$SENDER_DK_SUBJ" 20200101000000Z 20210101000000Z
issue sender-dk-notyet ca-dk v3_sender "$SENDER_DK_SUBJ" 20400101000000Z 20500101000000Z
issue sender-dk-unknown-ca ca-unknown v3_sender "$SENDER_DK_SUBJ"
issue sender-dk-revoked ca-dk v3_sender "$SENDER_DK_SUBJ"
issue sender-dk-serveronly ca-dk v3_sender_serveronly "$SENDER_DK_SUBJ"

CA_DIR="$(ca_db ca-dk)" run openssl ca -batch -config "$CNF" \
  -cert "$STAGE/ca-dk.crt" -keyfile "$STAGE/ca-dk.key" \
  -revoke "$STAGE/sender-dk-revoked.crt" -crl_reason keyCompromise

# --- CRLs and bundle ----------------------------------------------------------

for ca in ca-dk ca-no ca-se ca-fi ca-federation; do
  gen_crl "$ca"
done
# ca-unknown deliberately gets no CRL: nobody trusts it.

cat "$STAGE"/{ca-dk,ca-no,ca-se,ca-fi,ca-federation}.crt >"$STAGE/ca-all.crt"

# --- Self-check ---------------------------------------------------------------
# Cheap insurance that a future edit did not silently break a fixture the tests
# rely on.

weighted_sum() { # digits weight...
  local digits=$1 i=0 sum=0 w
  shift
  for w in "$@"; do
    sum=$((sum + ${digits:i:1} * w))
    i=$((i + 1))
  done
  echo "$sum"
}
valid_dk_cvr() { # weights 2765432 1, sum = 0 mod 11
  [[ $1 =~ ^[0-9]{8}$ ]] && (($(weighted_sum "$1" 2 7 6 5 4 3 2 1) % 11 == 0))
}
valid_no_orgnr() { # mod 11 check digit, remainder 1 is never issued
  [[ $1 =~ ^[0-9]{9}$ ]] || return 1
  local r=$(($(weighted_sum "$1" 3 2 7 6 5 4 3 2) % 11))
  ((r != 1)) && (((r == 0 ? 0 : 11 - r) == ${1:8:1}))
}
valid_se_orgnr() { # Luhn; third digit >= 2 distinguishes orgs from people
  [[ $1 =~ ^[0-9]{10}$ ]] && ((${1:2:1} >= 2)) || return 1
  local i v sum=0
  for ((i = 0; i < 10; i++)); do
    v=$((${1:i:1} * (i % 2 == 0 ? 2 : 1)))
    sum=$((sum + v / 10 + v % 10))
  done
  ((sum % 10 == 0))
}
valid_fi_ytunnus() { # mod 11 check digit, remainder 1 is never issued
  [[ $1 =~ ^([0-9]{7})-([0-9])$ ]] || return 1
  local check=${BASH_REMATCH[2]}
  local r=$(($(weighted_sum "${BASH_REMATCH[1]}" 7 9 10 5 8 4 2) % 11))
  ((r != 1)) && (((r == 0 ? 0 : 11 - r) == check))
}

# Prints the value of one subject attribute (by short name), or nothing.
subject_attr() { # cert attr
  openssl x509 -in "$1" -noout -subject -nameopt sep_multiline,sname,utf8 |
    sed -n "s/^ *$2=//p"
}

check_org_id() { # cert
  local crt=$1 oi sn
  oi=$(subject_attr "$crt" organizationIdentifier)
  sn=$(subject_attr "$crt" serialNumber)
  case $oi in
    NTRDK-*) valid_dk_cvr "${oi#NTRDK-}" ;;
    NTRNO-*) valid_no_orgnr "${oi#NTRNO-}" && [[ -z $sn || $sn == "${oi#NTRNO-}" ]] ;;
    NTRSE-*) valid_se_orgnr "${oi#NTRSE-}" && [[ -z $sn || $sn == "16${oi#NTRSE-}" ]] ;;
    NTRFI-*) valid_fi_ytunnus "${oi#NTRFI-}" ;;
    *) false ;;
  esac || die "bad organisation identifier in $(basename "$crt"): '$oi' serialNumber='$sn'"
}

expect_ok() { # verify-args...
  openssl verify "$@" >>"$LOG" 2>&1 || { cat "$LOG" >&2; die "expected to verify: $*"; }
}
expect_fail() { # error-text verify-args...
  local want=$1 out
  shift
  if out=$(openssl verify "$@" 2>&1); then die "expected failure ($want): $*"; fi
  grep -q "$want" <<<"$out" || die "expected '$want', got: $out"
}

cd "$STAGE"

for pair in sender-dk:ca-dk sender-dk-other:ca-dk postbox-dk:ca-dk \
  sender-no:ca-no postbox-no:ca-no sender-se:ca-se postbox-se:ca-se \
  sender-fi:ca-fi postbox-fi:ca-fi gateway:ca-federation peer-gateway:ca-federation; do
  leaf=${pair%%:*} ca=${pair#*:}
  expect_ok -x509_strict -crl_check -CAfile "$ca.crt" -CRLfile "$ca.crl" -purpose sslclient "$leaf.crt"
  [[ $leaf == sender-* ]] || expect_ok -x509_strict -CAfile "$ca.crt" -purpose sslserver "$leaf.crt"
  check_org_id "$leaf.crt"
done

expect_fail "certificate has expired" -CAfile ca-dk.crt sender-dk-expired.crt
expect_fail "certificate is not yet valid" -CAfile ca-dk.crt sender-dk-notyet.crt
expect_fail "unable to get local issuer certificate" -CAfile ca-dk.crt sender-dk-unknown-ca.crt
expect_fail "certificate revoked" -crl_check -CAfile ca-dk.crt -CRLfile ca-dk.crl sender-dk-revoked.crt
expect_fail "unsuitable certificate purpose" -CAfile ca-dk.crt -purpose sslclient sender-dk-serveronly.crt
# The negatives must be otherwise sound, so that only the intended defect trips.
expect_ok -CAfile ca-dk.crt sender-dk-revoked.crt
expect_ok -CAfile ca-unknown.crt sender-dk-unknown-ca.crt
expect_ok -CAfile ca-dk.crt -purpose sslserver sender-dk-serveronly.crt

for key in *.key; do
  name=${key%.key}
  [[ $(openssl pkey -in "$key" -pubout) == $(openssl x509 -in "$name.crt" -noout -pubkey) ]] ||
    die "$key does not match $name.crt"
done

# --- Publish ------------------------------------------------------------------

# These keys are public by design; make them readable like any other checkout.
chmod 0644 "$STAGE"/*
rm -f "$OUT"/*.crt "$OUT"/*.key "$OUT"/*.crl
cp "$STAGE"/*.crt "$STAGE"/*.key "$STAGE"/*.crl "$OUT"/

echo "generate.sh: wrote $(ls "$STAGE" | wc -l) files to $OUT (self-check passed)"
