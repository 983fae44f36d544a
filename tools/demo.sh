#!/bin/sh
# SPDX-License-Identifier: MIT
# pam_k6 demo: the stand-in k6 API on loopback, real libpam, pamtester.
#
# A user "alice" (made up by nss_wrapper) logs in through a PAM service that
# pam_wrapper keeps in a private folder: first with a token the stand-in
# accepts, then with one it refuses.  Nothing in /etc is read or changed.
#
# Usage: tools/demo.sh [BUILDDIR]   (run by "make demo")
set -eu

srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=$(cd "${1:-$srcdir}" && pwd)
# The module as built, loading its late parts from the build tree.
module=$builddir/tests/intree/.libs/pam_k6.so
python=${PYTHON3:-python3}

for tool in pamtester openssl "$python"; do
	command -v "$tool" >/dev/null 2>&1 || { echo "demo: $tool is missing (tools/install-deps.sh)" >&2; exit 1; }
done
[ -f "$module" ] || { echo "demo: $module not built; run make first" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/pam_k6-demo.XXXXXX")
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

good=k6demo0123456789abcdef0123456789
bad=k6wrong000000000000000000000000

# A certificate authority for this run only, and the stand-in's certificate.
cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj "/CN=pam_k6 demo CA" -keyout ca.key -out ca.pem \
	-addext basicConstraints=critical,CA:TRUE 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
	-keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
	-extfile server.ext -out server.pem 2>/dev/null

echo "$good https://demo.grafana.net 12345 67890" > accounts
"$python" "$srcdir/tests/stand_in.py" --cert server.pem --key server.key \
	--accounts accounts --port-file port &
server_pid=$!
i=0
while [ ! -s port ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "demo: the stand-in API did not start" >&2; exit 1; }
	sleep 0.05
done
port=$(cat port)

mkdir pam.d
echo "auth required pam_deny.so" > pam.d/other
cat > pam.d/k6demo <<EOT
auth     required  $module stack_url=demo api_url=https://127.0.0.1:$port ca_file=$work/ca.pem nodelay
account  required  pam_permit.so
session  optional  pam_exec.so type=open_session stdout /bin/sh -c [env | grep ^K6_ | sort]
EOT
echo "root:x:0:0:root:/root:/bin/sh" > passwd
echo "alice:x:1000:1000:Alice:/home/alice:/bin/sh" >> passwd

login() {
	echo "\$ echo $1 | pamtester k6demo alice authenticate open_session"
	echo "$1" | LD_PRELOAD="libpam_wrapper.so libnss_wrapper.so" PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$work/pam.d" PAM_WRAPPER_DEBUGLEVEL=2 \
		NSS_WRAPPER_PASSWD="$work/passwd" NSS_WRAPPER_GROUP=/dev/null \
		pamtester k6demo alice authenticate open_session > out 2> log || true
	# pamtester prompts on stderr, where pam_wrapper also shows pam_syslog lines.
	grep -o '^k6 API token: ' log | sed 's/^/  prompt  | /'
	grep '^pamtester:' out log | sed 's/^[a-z]*:/  result  | /'
	grep '^K6_' out | sed 's/^/  session | /'
	sed -n 's/.*SYSLOG([0-9]*): \(auth .*\)/  syslog  | pam_k6(k6demo:auth): \1/p' log
	echo
}

echo "== The stand-in k6 API listens on https://127.0.0.1:$port"
echo "== The PAM service:"
sed 's/^/  /' pam.d/k6demo
echo
echo "== A token the API accepts (the session prints the K6_CLOUD_* variables):"
login "$good"
echo "== A token the API refuses:"
login "$bad"
