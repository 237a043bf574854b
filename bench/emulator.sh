#!/usr/bin/env bash
# Benchmark of the Intacct emulator: requests/s for GET of one object with a valid token, at 1
# and 32 connections, with wrk (Debian package `wrk`). Not a test: run it by hand.
#
#   bench/emulator.sh [DURATION]     # default 10s per run
#
# It builds the release binary, starts `courier emulator` on a free port, takes a token with
# curl, runs wrk twice and prints the figures; the emulator is stopped on exit.
set -euo pipefail

duration=${1:-10s}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "error: $tool is not installed (apt-get install -y $tool)" >&2; exit 2; }
done

cargo build --release --bin courier >&2
out=$(mktemp)
./target/release/courier emulator >"$out" 2>/dev/null &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$out"' EXIT

# The first output line is the base URL (docs/emulator.md).
for _ in $(seq 100); do
  [ -s "$out" ] && break
  sleep 0.05
done
base=$(head -n 1 "$out")
[ -n "$base" ] || { echo "error: the emulator printed no base URL" >&2; exit 1; }

token=$(curl -sf "$base/oauth2/token" \
  -d grant_type=client_credentials \
  -d client_id=courier-np.app.sage.com \
  -d client_secret=courier-np-secret \
  -d username=ci-bot@COURIER-SANDBOX |
  sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || { echo "error: no token from $base/oauth2/token" >&2; exit 1; }

url="$base/objects/accounts-payable/vendor/84"
curl -sf -o /dev/null -H "Authorization: Bearer $token" "$url" || { echo "error: GET $url failed" >&2; exit 1; }

echo "GET $url ($duration per run, $(nproc) cores)"
for connections in 1 32; do
  threads=$(( connections < 2 ? 1 : 2 ))
  rps=$(wrk -t"$threads" -c"$connections" -d"$duration" -H "Authorization: Bearer $token" "$url" |
    awk '/^Requests\/sec:/ {print $2}')
  printf '%2d connection(s): %s requests/s\n' "$connections" "$rps"
done
