#!/usr/bin/env python3
"""Runs the benchmark's runners interleaved and prints one table.

    python3 bench/measure.py --work DIR --courier BIN [--hurl BIN] [--newman BIN]
                             [--rounds N] [--startup-rounds N] [--check] [--skip RUNNER=WHY]...
    python3 bench/measure.py --smoke --work DIR --courier BIN [--rounds N]

Each round runs every runner once per workload, in an order that rotates from round to round,
so whatever else the machine is doing hits every runner alike (A/B/C, B/C/A, ...). A run's
wall time comes from a monotonic clock around the child; its CPU time and peak RSS from the
kernel's accounting of the child (`wait4`, the numbers `/usr/bin/time -v` prints). A run that
fails (a non-zero exit) is reported as failed, not timed: a runner that does not check what
the others check is not faster.

Figures are medians over the rounds; the peak RSS is the largest seen. Per-request overhead
is the marginal cost of one more request: (wall of N requests − wall of the one-request run)
/ (N − 1), so start-up is not spread over the requests.
"""

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

# The performance targets: against Hurl and Newman, and the sequential floor.
TARGET_SMALL_VS_HURL = 1.5
TARGET_LARGE_VS_HURL = 2.0
TARGET_PEAK_MB = 30.0
TARGET_STARTUP_MS = 15.0
TARGET_PARALLEL_VS_SEQ = 2.0
TARGET_SEQ_RPS = 5000.0
# "Memory must not grow with the number of requests already run": running all 10,000 requests of
# a file rather than 10 of them may cost allocator noise, not a copy of every result.
TARGET_GROWTH_MB = 2.0

WORKLOADS = [
    # key, label, requests, which runners take part
    ("small", "1,000 × 1 KB, sequential", 1000, ("courier", "hurl", "newman")),
    ("large", "200 × 100 KB, sequential", 200, ("courier", "hurl", "newman")),
    ("parallel", "10 × 1,000 × 1 KB, parallel 10", 10_000, ("courier", "hurl")),
    ("big", "10,000 × 1 KB, one collection", 10_000, ("courier", "hurl")),
    ("one", "start-up + 1 request", 1, ("courier", "hurl", "newman")),
]


def command(runner, key, args):
    w = args.work
    if runner == "courier":
        target = {"parallel": f"{w}/courier/par"}.get(key, f"{w}/courier/{key}")
        cmd = [args.courier, "run", target, "--env", f"{w}/courier/bench.yaml", "--color", "never"]
        if key == "parallel":
            cmd += ["--parallel", "10"]
        return cmd
    if runner == "hurl":
        if key == "parallel":
            return [args.hurl, "--test", "--jobs", "10", *sorted(glob.glob(f"{w}/hurl/par/*.hurl"))]
        # One file: Hurl runs its entries in order over one keep-alive connection.
        return [args.hurl, "--test", "--jobs", "1", f"{w}/hurl/{key}.hurl"]
    if runner == "newman":
        return [args.newman, "run", f"{w}/newman/{key}.json", "--reporters", "cli"]
    raise ValueError(runner)


# GNU time, when installed, starts each run: a process forked from this Python script counts
# the script's own memory (about 16 MB) in its peak RSS until it execs, which would hide any
# smaller figure; GNU time is a small process, and its `%M` is the runner's peak alone.
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def run_once(cmd, cwd):
    """(ok, wall s, cpu s, peak RSS KiB) of one run, its output thrown away."""
    env = dict(os.environ)
    for v in ("CI", "NO_COLOR", "COURIER_ENV"):
        env.pop(v, None)
    with tempfile.TemporaryFile() as errf, tempfile.NamedTemporaryFile("r") as rssf:
        launch = [GNU_TIME, "-f", "%M", "-o", rssf.name, *cmd] if GNU_TIME else cmd
        start = time.perf_counter()
        p = subprocess.Popen(launch, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errf, env=env)
        # wait4: CPU time of the run (and of GNU time, which is next to nothing).
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - start
        p.returncode = os.waitstatus_to_exitcode(status)
        errf.seek(0)
        err = errf.read().decode(errors="replace")
        # GNU time writes "Command exited with non-zero status N" first when the run fails.
        lines = rssf.read().split()
        rss = int(lines[-1]) if GNU_TIME and lines and lines[-1].isdigit() else ru.ru_maxrss
    ok = p.returncode == 0
    if not ok:
        sys.stderr.write(f"  run failed (exit {p.returncode}): {' '.join(cmd[:4])} …\n{err[-800:]}\n")
    return ok, wall, ru.ru_utime + ru.ru_stime, rss


def wrk_floor(args):
    """The server alone: wrk over one keep-alive connection (µs per request), when wrk exists."""
    out = {}
    wrk = args.wrk
    if not wrk:
        return out
    for key, path in (("small", "/s/0.json"), ("large", "/l/0.json")):
        try:
            text = subprocess.run(
                [wrk, "-t1", "-c1", "-d2s", f"http://127.0.0.1:{args.port}{path}"],
                capture_output=True, text=True, timeout=30, check=True,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        for line in text.splitlines():
            if line.startswith("Requests/sec:"):
                rps = float(line.split()[1])
                out[key] = rps
    return out


def memory_baselines(args):
    """Peak RSS (MB) of the 10,000-request collection loaded but not run (`courier validate`),
    and loaded in full but run for only its first 10 requests (`-k r0000`): the run of all
    10,000 must cost no more than the second, or memory grows with the requests run."""
    big = f"{args.work}/courier/big"
    cmds = {
        "load": [args.courier, "validate", big],
        "ten": [args.courier, "run", big, "--env", f"{args.work}/courier/bench.yaml", "-k", "r0000",
                "--color", "never"],
    }
    out = {}
    for name, cmd in cmds.items():
        peaks = [rss / 1024 for ok, _, _, rss in (run_once(cmd, args.work) for _ in range(3)) if ok]
        out[name] = max(peaks) if peaks else None
    return out


def validate_figures(args):
    """`courier validate` over a folder of generated files: median wall time, files/s."""
    if not args.validate:
        return None
    files = len(glob.glob(os.path.join(args.validate, "*.yaml")))
    runs = []
    for _ in range(max(args.rounds, 5)):
        ok, wall, cpu, rss = run_once([args.courier, "validate", args.validate], args.work)
        if not ok:
            return None
        runs.append((wall, cpu, rss))
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    rss = max(r[2] for r in runs) / 1024
    line = (f"Load and validate (`courier validate`): {files:,} files × 10 requests in "
            f"{wall * 1000:,.0f} ms (median of {len(runs)}), {files / wall:,.0f} files/s, "
            f"CPU {cpu * 1000:,.0f} ms, peak RSS {rss:.1f} MB")
    return {"files": files, "wall": wall, "cpu": cpu, "rss_mb": rss, "line": line}


def fmt_int(x):
    return f"{x:,.0f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--courier", required=True)
    ap.add_argument("--hurl")
    ap.add_argument("--newman")
    ap.add_argument("--wrk")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--startup-rounds", type=int, default=15)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--load-only", action="store_true", help="only the load/validate benchmark")
    ap.add_argument("--skip", action="append", default=[], help="RUNNER=WHY: a peer that is missing")
    ap.add_argument("--versions", default="{}", help="JSON {runner: version text}")
    ap.add_argument("--validate", help="a folder of generated collections for `courier validate`")
    args = ap.parse_args()
    args.work = os.path.abspath(args.work)
    # Runs happen inside the work directory: a relative program path must not move with it.
    for r in ("courier", "hurl", "newman", "wrk"):
        v = getattr(args, r)
        if v and os.sep in v:
            setattr(args, r, os.path.abspath(v))

    if args.smoke:
        return smoke(args)
    if args.load_only:
        validate = validate_figures(args)
        if validate is None:
            return 1
        print(validate["line"])
        met = validate["files"] != 1000 or validate["wall"] < 1.0
        if validate["files"] == 1000:
            print(f"Target: 1,000 files in under 1 s: {'met' if met else 'MISSED'}")
        return 1 if args.check and not met else 0

    missing = dict(s.split("=", 1) for s in args.skip)
    versions = json.loads(args.versions)
    runners = ["courier"] + [r for r in ("hurl", "newman") if getattr(args, r) and r not in missing]

    samples = {}  # (key, runner) -> list of (wall, cpu, rss)
    failed = set()
    for key, label, n, takers in WORKLOADS:
        who = [r for r in runners if r in takers]
        rounds = args.startup_rounds if key == "one" else args.rounds
        # Newman at ~70 requests/s would take minutes per round of 10,000 requests.
        print(f"{label}: {rounds} rounds of {', '.join(who)}", file=sys.stderr, flush=True)
        for i in range(rounds):
            order = who[i % len(who):] + who[: i % len(who)]
            for r in order:
                if (key, r) in failed:
                    continue
                ok, wall, cpu, rss = run_once(command(r, key, args), args.work)
                if not ok:
                    failed.add((key, r))
                    continue
                samples.setdefault((key, r), []).append((wall, cpu, rss))

    floor = wrk_floor(args)
    baselines = memory_baselines(args)
    validate = validate_figures(args)

    def stat(key, r):
        s = samples.get((key, r))
        if not s:
            return None
        return {
            "wall": statistics.median(x[0] for x in s),
            "cpu": statistics.median(x[1] for x in s),
            "rss_mb": max(x[2] for x in s) / 1024,
            "runs": len(s),
        }

    results = {}
    for key, label, n, takers in WORKLOADS:
        for r in runners:
            if r not in takers:
                continue
            st = stat(key, r)
            if st is None:
                continue
            st["rps"] = n / st["wall"]
            one = stat("one", r)
            if key != "one" and one is not None and n > 1:
                st["marginal_us"] = max(st["wall"] - one["wall"], 0) / (n - 1) * 1e6
            results[(key, r)] = st

    names = {"courier": "Courier", "hurl": "Hurl", "newman": "Newman"}
    for r, v in versions.items():
        if r in names and v:
            names[r] = v

    lines = [
        "| workload | runner | wall (median) | requests/s | µs/request (marginal) | CPU | peak RSS | Courier's ratio |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key, label, n, takers in WORKLOADS:
        c = results.get((key, "courier"))
        for r in runners:
            if r not in takers:
                continue
            st = results.get((key, r))
            if st is None:
                why = "failed (see above)" if (key, r) in failed else "not run"
                lines.append(f"| {label} | {names[r]} | {why} | | | | | |")
                continue
            if r == "courier" or c is None:
                ratio = "—"
            elif key == "one":
                ratio = f"{st['wall'] / c['wall']:.1f}× faster"
            else:
                ratio = f"{c['rps'] / st['rps']:.1f}×"
            marginal = st.get("marginal_us")
            lines.append(
                f"| {label} | {names[r]} | {st['wall'] * 1000:,.1f} ms | "
                f"{fmt_int(st['rps']) if key != 'one' else '—'} | "
                f"{fmt_int(marginal) if marginal is not None else '—'} | "
                f"{st['cpu'] * 1000:,.0f} ms | {st['rss_mb']:.1f} MB | {ratio} |"
            )
    for key, label in (("small", "1 KB"), ("large", "100 KB")):
        if key in floor:
            lines.append(
                f"| server alone, {label} (wrk, 1 connection) | nginx | — | {fmt_int(floor[key])} | "
                f"{1e6 / floor[key]:,.0f} | — | — | — |"
            )
    print("\n".join(lines))
    for r, why in missing.items():
        print(f"\n{names.get(r, r)} was not run: {why}")
    if "newman" in runners:
        print("\nNewman is left out of the 10,000-request rows (minutes per run) and has no parallel mode.")
    if validate:
        print(f"\n{validate['line']}")
    if all(baselines.values()):
        print(f"\nThe 10,000-request collection, peak RSS: loaded only (`courier validate`) "
              f"{baselines['load']:.1f} MB; loaded and its first 10 requests run (`-k r0000`) "
              f"{baselines['ten']:.1f} MB.")

    # Targets.
    def get(key, r, field):
        st = results.get((key, r))
        return None if st is None else st.get(field)

    checks = []

    def target(name, value, ok, shown):
        checks.append((name, ok, shown if value is not None else "not measured"))

    cs, hs = get("small", "courier", "rps"), get("small", "hurl", "rps")
    ratio = cs / hs if cs and hs else None
    target("1,000 × 1 KB: Courier ≥ 1.5× Hurl", ratio, ratio is not None and ratio >= TARGET_SMALL_VS_HURL,
           f"{ratio:.2f}×" if ratio else "")
    cl, hl = get("large", "courier", "rps"), get("large", "hurl", "rps")
    ratio = cl / hl if cl and hl else None
    target("200 × 100 KB: Courier ≥ 2× Hurl (5× stretch)", ratio,
           ratio is not None and ratio >= TARGET_LARGE_VS_HURL, f"{ratio:.2f}×" if ratio else "")
    peak = get("big", "courier", "rss_mb")
    target("10,000 requests: peak RSS ≤ 30 MB", peak, peak is not None and peak <= TARGET_PEAK_MB,
           f"{peak:.1f} MB" if peak else "")
    # Same collection loaded, 10 requests run against 10,000: nothing may be kept per request.
    ten = baselines.get("ten")
    growth = peak - ten if peak and ten else None
    target("memory does not grow with requests run (10,000 run vs 10 run of the same file: ≤ +2 MB)",
           growth, growth is not None and growth <= TARGET_GROWTH_MB,
           f"{growth:+.1f} MB ({ten:.1f} → {peak:.1f} MB)" if growth is not None else "")
    start = get("one", "courier", "wall")
    target("start-up + 1 request ≤ 15 ms", start, start is not None and start * 1000 <= TARGET_STARTUP_MS,
           f"{start * 1000:.1f} ms" if start else "")
    par = get("parallel", "courier", "rps")
    ratio = par / cs if par and cs else None
    target("--parallel 10 over 10 collections ≥ 2× the sequential rate", ratio,
           ratio is not None and ratio >= TARGET_PARALLEL_VS_SEQ, f"{ratio:.2f}×" if ratio else "")
    target("sequential ≥ 5,000 requests/s", cs, cs is not None and cs >= TARGET_SEQ_RPS,
           f"{fmt_int(cs)}/s" if cs else "")
    if validate and validate["files"] == 1000:
        target("load and validate 1,000 files × 10 requests in under 1 s", validate["wall"],
               validate["wall"] < 1.0, f"{validate['wall'] * 1000:,.0f} ms")
    both = all(r in runners and not any(k[1] == r for k in failed) for r in ("hurl", "newman"))
    target("Hurl and Newman both ran", True, both, "yes" if both else "no")

    print("\nTargets:")
    for name, ok, shown in checks:
        print(f"  {'met   ' if ok else 'MISSED'}  {name}: {shown}")

    with open(os.path.join(args.work, "results.json"), "w", encoding="utf-8") as f:
        json.dump(
            {
                "date": time.strftime("%Y-%m-%d %H:%M"),
                "results": {f"{k}/{r}": v for (k, r), v in results.items()},
                "server_rps": floor,
                "validate": validate,
                "memory_baselines_mb": baselines,
                "targets": [{"name": n, "met": ok, "value": s} for n, ok, s in checks],
            },
            f,
            indent=1,
        )
    bad = failed or (args.check and not all(ok for _, ok, _ in checks))
    return 1 if bad else 0


def smoke(args):
    """Courier alone against the built-in emulator: the script still works, nothing installed."""
    cmd = [args.courier, "run", f"{args.work}/smoke.yaml", "--env", "local", "--color", "never"]
    n = sum(1 for line in open(f"{args.work}/smoke.yaml", encoding="utf-8") if line.startswith("  - name:"))
    runs = []
    for _ in range(args.rounds):
        ok, wall, cpu, rss = run_once(cmd, args.work)
        if not ok:
            return 1
        runs.append((wall, cpu, rss))
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    rss = max(r[2] for r in runs) / 1024
    print("| workload | runner | wall (median) | requests/s | CPU | peak RSS |")
    print("|---|---|---:|---:|---:|---:|")
    print(f"| smoke: {n} GETs against the built-in emulator (`--env local`) | Courier | "
          f"{wall * 1000:,.1f} ms | {fmt_int(n / wall)} | {cpu * 1000:,.0f} ms | {rss:.1f} MB |")
    validate = validate_figures(args)
    if args.validate and validate is None:
        return 1
    if validate:
        print(f"\n{validate['line']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
