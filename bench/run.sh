#!/usr/bin/env bash
# Courier at the limits that matter: Intacct's concurrency cap (the emulator), the
# single-connection floor (nginx, with wrk), scale (100,000 requests with reports), loading
# (`courier validate`) and start-up; Hurl 8.0.1 on the same workloads. One table of targets.
#
#   bash bench/run.sh              install what is missing, run every workload, print the tables
#   bash bench/run.sh --check      the same, exit 1 when a target is missed
#   bash bench/run.sh --smoke      every workload at small N against `courier emulator`: needs
#                                  nothing but the build (.ci/run)
#   bash bench/run.sh --load       only `courier validate` of 10,000 generated files
#
# Options: --rounds N (interleaved rounds, default 3), --startup-rounds N (default 15),
# --no-install (use only what is already there).
#
# What it does:
#   - builds `courier` in release mode;
#   - installs nginx, wrk and GNU time (Debian) and Hurl 8.0.1 (`cargo install`, several
#     minutes, niced, one job, under ~/.cache/courier-bench or $COURIER_BENCH_CACHE, never in
#     the repository) when missing. A peer that cannot be installed is reported with the reason
#     (its rows read "not measured") and the rest still runs;
#   - generates the workloads (bench/gen.py) under target/bench;
#   - starts nginx on 127.0.0.1 (a free port) with its own config, and two `courier emulator`
#     processes (bench/measure.py), and stops them by their PIDs;
#   - runs the workloads in interleaved rounds (bench/measure.py) and prints the tables.
#
# The machine is shared and has 2 cores: compare the ratios of one interleaved run, not
# absolute figures from different runs.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

mode=full
check=()
rounds=3
startup_rounds=15
install=1
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) mode=smoke ;;
        --load) mode=load ;;
        --check) check=(--check) ;;
        --rounds) rounds=$2; shift ;;
        --startup-rounds) startup_rounds=$2; shift ;;
        --no-install) install=0 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/run.sh: unknown argument \`$1\` (see --help)" >&2; exit 2 ;;
    esac
    shift
done

cache=${COURIER_BENCH_CACHE:-$HOME/.cache/courier-bench}
work=${COURIER_BENCH_WORK:-$root/target/bench}
hurl_version=8.0.1

say() { printf '==> %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "need root to install system packages: $*" >&2; return 1
    fi
}

apt_install() {
    [ "$install" = 1 ] || return 1
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2 ||
        { as_root apt-get update -qq >&2 && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2; }
}

command -v python3 >/dev/null || { echo "bench/run.sh needs python3" >&2; exit 2; }

say "building courier (release)"
cargo build --release --quiet --bin courier >&2
courier=$root/target/release/courier

if [ "$mode" = smoke ]; then
    # `courier emulator` serves every request: nothing is installed, nginx is not started.
    smoke=$work/smoke
    rm -rf "$smoke"
    n=${COURIER_BENCH_SMOKE_N:-200}
    python3 bench/gen.py smoke "$smoke" "$n"
    python3 bench/gen.py emulator "$smoke/emu" 3 4
    python3 bench/gen.py rows "$smoke" 1 3
    python3 bench/gen.py validate "$smoke/validate" 50
    python3 bench/measure.py --smoke --smoke-n "$n" --work "$smoke" --courier "$courier" \
        --validate "$smoke/validate"
    exit $?
fi

if [ "$mode" = load ]; then
    load=$work/load
    rm -rf "$load"
    python3 bench/gen.py validate "$load/validate" 10000
    python3 bench/measure.py --load-only --work "$load" --courier "$courier" --rounds 5 \
        --validate "$load/validate" "${check[@]}"
    exit $?
fi

# --- peers ------------------------------------------------------------------------------------
skips=()

nginx=$(command -v nginx || true)
[ -n "$nginx" ] || [ ! -x /usr/sbin/nginx ] || nginx=/usr/sbin/nginx
if [ -z "$nginx" ]; then
    say "installing nginx (Debian)"
    apt_install nginx-light || apt_install nginx || true
    nginx=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true)
fi
[ -n "$nginx" ] || { echo "bench/run.sh: nginx is needed as the server and could not be installed" >&2; exit 2; }

# GNU time reports each runner's peak RSS (bench/measure.py says why it is needed).
[ -x /usr/bin/time ] || apt_install time || say "GNU time is missing: peak RSS figures below about 16 MB will read as 16 MB"

wrk=$(command -v wrk || true)
if [ -z "$wrk" ] && apt_install wrk 2>/dev/null; then wrk=$(command -v wrk || true); fi
[ -n "$wrk" ] || skips+=(--skip "wrk=wrk is not installed and could not be (Debian package wrk)")

hurl=$cache/hurl/bin/hurl
if [ ! -x "$hurl" ] && [ "$install" = 1 ]; then
    say "installing Hurl $hurl_version with cargo (about 6 minutes; log: $cache/hurl-build.log)"
    mkdir -p "$cache"
    if apt_install libcurl4-openssl-dev libxml2-dev pkg-config libclang-dev; then
        # Niced and on one job: the machine is shared. Hurl's build stays in the cache.
        CARGO_TARGET_DIR=$cache/hurl-target nice -n 19 cargo install hurl --version "$hurl_version" \
            --locked -j 1 --root "$cache/hurl" >"$cache/hurl-build.log" 2>&1 ||
            say "Hurl did not build (see $cache/hurl-build.log)"
    else
        say "the -dev packages Hurl builds against could not be installed"
    fi
fi
if [ ! -x "$hurl" ]; then
    why="cannot be installed here (cargo install hurl --version $hurl_version needs libcurl4-openssl-dev libxml2-dev pkg-config libclang-dev; see $cache/hurl-build.log)"
    [ "$install" = 1 ] || why="not installed and --no-install was given"
    skips+=(--skip "hurl=$why")
fi

versions=$(
    # Each runner's own word for its version, for the table's header column.
    c=$("$courier" --version 2>/dev/null | head -n1 || true)
    h=$([ -x "$hurl" ] && "$hurl" --version 2>/dev/null | head -n1 | awk '{print "Hurl " $2}' || true)
    python3 -c 'import json,sys; print(json.dumps({"courier": sys.argv[1], "hurl": sys.argv[2]}))' \
        "${c/courier/Courier}" "$h"
)

# --- workload and server ----------------------------------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
say "generating the workload under $work (port $port)"
rm -rf "$work"
python3 bench/gen.py "$work" "$port"
python3 bench/gen.py emulator "$work/emu" 10 20
python3 bench/gen.py rows "$work" 1000 10 100
python3 bench/gen.py validate "$work/validate" 10000

"$nginx" -p "$work/nginx" -c "$work/nginx/nginx.conf" >"$work/nginx/stdout.log" 2>&1 &
nginx_pid=$!
trap 'kill "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true' EXIT
python3 - "$port" <<'EOF' || { cat "$work/nginx/error.log" "$work/nginx/stdout.log" >&2 2>/dev/null; exit 2; }
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit("nginx did not start")
EOF

say "machine load before measuring: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores; figures are noisy, ratios less so)"
args=(--work "$work" --courier "$courier" --port "$port" --rounds "$rounds"
      --startup-rounds "$startup_rounds" --versions "$versions" --validate "$work/validate")
[ -x "$hurl" ] && args+=(--hurl "$hurl")
[ -n "$wrk" ] && args+=(--wrk "$wrk")
set +e
python3 bench/measure.py "${args[@]}" "${skips[@]}" "${check[@]}"
status=$?
set -e
echo
echo "$(date '+%Y-%m-%d %H:%M'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) after the run"
exit $status
