#!/usr/bin/env python3
"""Runs the benchmark's workloads interleaved and prints its targets and its figures.

    python3 bench/measure.py --work DIR --courier BIN [--hurl BIN] [--wrk BIN] --port N
                             [--rounds N] [--startup-rounds N] [--check] [--skip RUNNER=WHY]...
    python3 bench/measure.py --smoke --work DIR --courier BIN
    python3 bench/measure.py --load-only --work DIR --courier BIN --validate DIR [--check]

Each round runs every workload once, and within a workload every runner once, in an order that
rotates from round to round, so whatever else the machine is doing hits every runner alike. A
run's wall time comes from a monotonic clock around the child; its CPU time from the kernel's
accounting of the child (`wait4`) and its peak RSS from GNU time (`%M`). A run that fails (a
non-zero exit) is reported as failed, not timed: a runner that does not check what the others
check is not faster. Figures are medians over the rounds; a peak RSS is the largest seen.

The workloads and their targets are those of README.md#performance:
  - concurrency: 10 collections × 20 requests, `--parallel 10`, against `courier emulator
    --latency 20ms --max-concurrent N` (its own process) with `limits: { max_concurrency: N }`,
    for N = 2 and 6: wall against the ideal (requests × latency ÷ N), and the emulator's own
    count of requests it refused (`/__emulator/stats`, read after each run);
  - the single-connection floor: 10,000 × 1 KB and 2,000 × 100 KB sequential GETs on nginx,
    Courier's requests/s against `wrk -t1 -c1` on the same server in the same rounds, and
    Courier's wall against Hurl's;
  - scale: one collection of 1,000 requests run once per data row (10 and 100 rows) with
    `--junit --json --html`: peak RSS;
  - `courier validate` of 10,000 files of 10 requests; start-up (`--version`, `validate` of one
    file).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

# The targets (README.md#performance).
TARGET_SLOTS = {2: 1.06, 6: 1.10}  # wall ≤ × ideal, per max_concurrency
TARGET_FLOOR = {"small": 0.80, "large": 0.50}  # Courier req/s ≥ × wrk -t1 -c1
TARGET_VS_HURL = {"small": 0.5, "large": 0.15}  # Courier wall ≤ × Hurl's
TARGET_PEAK_MB = 40.0
TARGET_ROWS_GROWTH_MB = 5.0
TARGET_VALIDATE_S = 1.0
TARGET_VALIDATE_MB = 200.0
TARGET_STARTUP_MS = 5.0

LATENCY_MS = 20
EMU_COLLECTIONS, EMU_REQUESTS = 10, 20
SEQ = {"small": ("10,000 × 1 KB", 10_000, "/s/0.json"), "large": ("2,000 × 100 KB", 2_000, "/l/0.json")}
ROWS_REQUESTS = 1_000
ROWS = (10, 100)

# GNU time, when installed, starts each run: a process forked from this Python script counts
# the script's own memory (about 16 MB) in its peak RSS until it execs, which would hide any
# smaller figure; GNU time is a small process, and its `%M` is the runner's peak alone.
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def run_once(cmd, cwd, env_extra=None, rss=True):
    """(ok, wall s, cpu s, peak RSS KiB) of one run, its output thrown away. Without `rss`, the
    run is not started by GNU time (whose own start would count in a start-up's few
    milliseconds) and its peak RSS is the kernel's, which counts this script's."""
    env = dict(os.environ)
    for v in ("CI", "NO_COLOR", "COURIER_ENV"):
        env.pop(v, None)
    env.update(env_extra or {})
    with tempfile.TemporaryFile() as errf, tempfile.NamedTemporaryFile("r") as rssf:
        launch = [GNU_TIME, "-f", "%M", "-o", rssf.name, *cmd] if GNU_TIME and rss else cmd
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
        peak = int(lines[-1]) if GNU_TIME and rss and lines and lines[-1].isdigit() else ru.ru_maxrss
    ok = p.returncode == 0
    if not ok:
        sys.stderr.write(f"  run failed (exit {p.returncode}): {' '.join(cmd[:4])} …\n{err[-800:]}\n")
    return ok, wall, ru.ru_utime + ru.ru_stime, peak


class Emulator:
    """`courier emulator` in its own process, so that its counters can be read after a run."""

    def __init__(self, courier, latency_ms, max_concurrent):
        self.proc = subprocess.Popen(
            [courier, "emulator", "--latency", f"{latency_ms}ms", "--max-concurrent", str(max_concurrent)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        # The first line is the base URL (docs/emulator.md).
        self.base_url = self.proc.stdout.readline().strip()
        if not self.base_url.startswith("http://"):
            self.stop()
            raise RuntimeError("courier emulator printed no base URL")
        self.admin = self.base_url.split("/ia/api/", 1)[0] + "/__emulator"

    def reset(self):
        urllib.request.urlopen(urllib.request.Request(f"{self.admin}/reset", method="POST"), timeout=10).read()

    def faults(self, knobs):
        body = json.dumps(knobs).encode()
        req = urllib.request.Request(f"{self.admin}/faults", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=10).read()

    def stats(self):
        with urllib.request.urlopen(f"{self.admin}/stats", timeout=10) as r:
            return json.load(r)

    def env_file(self, path, max_concurrency):
        """An environment for this emulator: its public test credentials, and the limit."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(
                "scope: non-production\n"
                "vars:\n"
                f"  base_url: {self.base_url}\n"
                "  client_id: courier-np.app.sage.com\n"
                "  client_secret: courier-np-secret\n"
                "  ws_user: ci-bot@COURIER-SANDBOX\n"
                "auth:\n"
                "  intacct:\n"
                "    type: oauth2\n"
                "    grant: client_credentials\n"
                '    token_url: "{{ base_url }}/oauth2/token"\n'
                '    client_id: "{{ client_id }}"\n'
                '    client_secret: "{{ client_secret }}"\n'
                '    token_params: { username: "{{ ws_user }}" }\n'
                f"limits: {{ max_concurrency: {max_concurrency} }}\n"
            )
        return path

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def courier_run(args, target, env, *extra):
    return [args.courier, "run", target, "--env", env, "--color", "never", *extra]


def slots_run(args, emu, env, parallel):
    """One run of the concurrency workload: (ok, wall, cpu, rss, stats)."""
    emu.reset()
    # A token cache of the bench's own: a cached token of an earlier emulator is never used.
    cache = {"COURIER_TOKEN_CACHE": os.path.join(args.work, "tokens.json")}
    ok, wall, cpu, rss = run_once(
        courier_run(args, os.path.join(args.work, "emu"), env, "--parallel", str(parallel)), args.work, cache
    )
    return ok, wall, cpu, rss, emu.stats()


def rows_run(args, env, rows, target):
    out = os.path.join(args.work, "reports")
    os.makedirs(out, exist_ok=True)
    cmd = courier_run(
        args, target, env, "--data", os.path.join(args.work, f"rows{rows}.csv"),
        "--junit", f"{out}/junit.xml", "--json", f"{out}/report.json", "--html", f"{out}/report.html",
    )
    return run_once(cmd, args.work)


def wrk_run(args, path):
    """(ok, requests/s) of nginx alone on one keep-alive connection."""
    try:
        text = subprocess.run(
            [args.wrk, "-t1", "-c1", "-d2s", f"http://127.0.0.1:{args.port}{path}"],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError) as e:
        sys.stderr.write(f"  wrk failed: {e}\n")
        return False, None
    for line in text.splitlines():
        if line.startswith("Requests/sec:"):
            return True, float(line.split()[1])
    return False, None


def validate_runs(args, folder, rounds):
    runs = []
    for _ in range(rounds):
        ok, wall, cpu, rss = run_once([args.courier, "validate", folder], args.work)
        if not ok:
            return None
        runs.append((wall, cpu, rss))
    return {
        "files": sum(1 for n in os.listdir(folder) if n.endswith(".yaml")),
        "wall": statistics.median(r[0] for r in runs),
        "cpu": statistics.median(r[1] for r in runs),
        "rss_mb": max(r[2] for r in runs) / 1024,
    }


def startup_runs(args, one_file, rounds):
    """Median wall (s) of `courier --version` and of `courier validate` of one file, taking turns."""
    cmds = {"version": [args.courier, "--version"], "validate": [args.courier, "validate", one_file]}
    walls = {k: [] for k in cmds}
    for i in range(rounds):
        for k in (list(cmds) if i % 2 == 0 else list(cmds)[::-1]):
            ok, wall, _, _ = run_once(cmds[k], args.work, rss=False)
            if ok:
                walls[k].append(wall)
    return {k: statistics.median(v) if v else None for k, v in walls.items()}


def summarize(samples):
    if not samples:
        return None
    return {
        "wall": statistics.median(s["wall"] for s in samples),
        "cpu": statistics.median(s["cpu"] for s in samples),
        "rss_mb": max(s["rss"] for s in samples) / 1024,
        "runs": len(samples),
    }


def full(args):
    missing = dict(s.split("=", 1) for s in args.skip)
    versions = json.loads(args.versions)
    names = {"courier": versions.get("courier") or "Courier", "hurl": versions.get("hurl") or "Hurl", "wrk": "wrk -t1 -c1"}
    peers = ["courier"] + [r for r in ("hurl", "wrk") if getattr(args, r) and r not in missing]
    w = args.work
    emus = {n: Emulator(args.courier, LATENCY_MS, n) for n in TARGET_SLOTS}
    try:
        envs = {n: emu.env_file(os.path.join(w, f"emu{n}.yaml"), n) for n, emu in emus.items()}
        bench_env = f"{w}/courier/bench.yaml"
        # key -> (label, runners, run(runner) -> sample dict or None)
        workloads = []
        for n, emu in emus.items():
            def slots(_r, n=n, emu=emu):
                ok, wall, cpu, rss, stats = slots_run(args, emu, envs[n], EMU_COLLECTIONS)
                return ok and {"wall": wall, "cpu": cpu, "rss": rss, "stats": stats}
            workloads.append((f"slots{n}", ["courier"], slots))
        for key, (label, n, path) in SEQ.items():
            def seq(r, key=key, path=path):
                if r == "wrk":
                    ok, rps = wrk_run(args, path)
                    return ok and {"rps": rps}
                cmd = (courier_run(args, f"{w}/courier/{key}", bench_env) if r == "courier"
                       else [args.hurl, "--test", "--jobs", "1", f"{w}/hurl/{key}.hurl"])
                ok, wall, cpu, rss = run_once(cmd, w)
                return ok and {"wall": wall, "cpu": cpu, "rss": rss}
            workloads.append((key, peers, seq))
        for rows in ROWS:
            def rows_job(_r, rows=rows):
                ok, wall, cpu, rss = rows_run(args, bench_env, rows, f"{w}/rows")
                return ok and {"wall": wall, "cpu": cpu, "rss": rss}
            workloads.append((f"rows{rows}", ["courier"], rows_job))

        samples, failed = {}, set()
        for i in range(args.rounds):
            print(f"round {i + 1} of {args.rounds}", file=sys.stderr, flush=True)
            for key, runners, job in workloads:
                order = runners[i % len(runners):] + runners[: i % len(runners)]
                for r in order:
                    if (key, r) in failed:
                        continue
                    sample = job(r)
                    if not sample:
                        failed.add((key, r))
                        continue
                    samples.setdefault((key, r), []).append(sample)
    finally:
        for emu in emus.values():
            emu.stop()
    print("validate and start-up", file=sys.stderr, flush=True)
    validate = validate_runs(args, args.validate, max(args.rounds, 3))
    one_file = os.path.join(args.validate, sorted(os.listdir(args.validate))[0])
    startup = startup_runs(args, one_file, args.startup_rounds)

    checks, details = [], []

    def target(label, shown, ok, goal):
        checks.append((label, shown, goal, ok))

    def detail(label, runner, s, extra=""):
        if s is None:
            details.append(f"| {label} | {runner} | failed or not run | | | | |")
            return
        details.append(
            f"| {label} | {runner} | {s['wall'] * 1000:,.0f} ms | {s.get('rps', 0):,.0f} | "
            f"{s['cpu'] * 1000:,.0f} ms | {s['rss_mb']:.1f} MB | {extra} |"
        )

    for n, slack in TARGET_SLOTS.items():
        runs = samples.get((f"slots{n}", "courier"), [])
        s = summarize(runs)
        requests = EMU_COLLECTIONS * EMU_REQUESTS
        ideal = requests * LATENCY_MS / 1000 / n
        label = (f"{EMU_COLLECTIONS} collections × {EMU_REQUESTS} requests, emulator `--latency {LATENCY_MS}ms "
                 f"--max-concurrent {n}`, `--parallel {EMU_COLLECTIONS}`, `max_concurrency: {n}`")
        if s is None:
            target(label, "not measured", False, f"wall ≤ {slack:.2f} × ideal, 0 rejections")
            detail(label, names["courier"], None)
            continue
        rejected = max(sum(x["stats"].get("rejected", {}).values()) + x["stats"].get("concurrency_rejections", 0)
                       for x in runs)
        peak = max(x["stats"].get("in_flight_peak", 0) for x in runs)
        ratio = s["wall"] / ideal
        s["rps"] = requests / s["wall"]
        target(label, f"{ratio:.3f} × ideal ({s['wall'] * 1000:,.0f} ms vs {ideal * 1000:,.0f} ms), "
               f"{rejected} rejections, in-flight peak {peak}",
               ratio <= slack and rejected == 0, f"≤ {slack:.2f} × ideal, 0 rejections")
        detail(label, names["courier"], s, f"in-flight peak {peak}, {rejected} rejected")

    for key, (label, n, path) in SEQ.items():
        c = summarize(samples.get((key, "courier"), []))
        h = summarize(samples.get((key, "hurl"), []))
        wrk = [x["rps"] for x in samples.get((key, "wrk"), [])]
        floor = statistics.median(wrk) if wrk else None
        for s in (c, h):
            if s:
                s["rps"] = n / s["wall"]
        full_label = f"{label} sequential on nginx" + (", one JSONPath each" if key == "large" else "")
        if c and floor:
            ratio = c["rps"] / floor
            target(full_label, f"{ratio:.2f} × wrk ({c['rps']:,.0f} vs {floor:,.0f} requests/s)",
                   ratio >= TARGET_FLOOR[key], f"≥ {TARGET_FLOOR[key]:.2f} × `wrk -t1 -c1` requests/s")
        else:
            why = missing.get("wrk", "wrk did not run") if not floor else "Courier failed"
            target(full_label, f"not measured ({why})", False, f"≥ {TARGET_FLOOR[key]:.2f} × `wrk -t1 -c1`")
        detail(full_label, names["courier"], c)
        if "hurl" in peers:
            detail(full_label, names["hurl"], h)
        if floor:
            details.append(f"| {full_label} | {names['wrk']} (nginx alone) | 2 s per run | {floor:,.0f} | | | |")

    for key, (label, n, path) in SEQ.items():
        c = summarize(samples.get((key, "courier"), []))
        h = summarize(samples.get((key, "hurl"), []))
        hl = f"Hurl 8.0.1 on {label}, same run"
        if c and h:
            ratio = c["wall"] / h["wall"]
            target(hl, f"Courier/Hurl wall {ratio:.3f} ({c['wall'] * 1000:,.0f} vs {h['wall'] * 1000:,.0f} ms)",
                   ratio <= TARGET_VS_HURL[key], f"≤ {TARGET_VS_HURL[key]}")
        else:
            why = missing.get("hurl", "Hurl failed") if not h else "Courier failed"
            target(hl, f"not measured ({why})", False, f"≤ {TARGET_VS_HURL[key]}")

    r10 = summarize(samples.get(("rows10", "courier"), []))
    r100 = summarize(samples.get(("rows100", "courier"), []))
    for rows, s in zip(ROWS, (r10, r100)):
        if s:
            s["rps"] = ROWS_REQUESTS * rows / s["wall"]
        detail(f"{ROWS_REQUESTS:,} requests × {rows} data rows, `--junit --json --html`", names["courier"], s)
    label = f"{ROWS_REQUESTS * ROWS[1]:,} requests ({ROWS_REQUESTS:,} × {ROWS[1]} data rows), `--junit --json --html`"
    if r10 and r100:
        growth = r100["rss_mb"] - r10["rss_mb"]
        target(label, f"peak RSS {r100['rss_mb']:.1f} MB; {ROWS[1]} rows vs {ROWS[0]}: {growth:+.1f} MB",
               r100["rss_mb"] <= TARGET_PEAK_MB and growth <= TARGET_ROWS_GROWTH_MB,
               f"≤ {TARGET_PEAK_MB:.0f} MB; ≤ {ROWS[0]}-row peak + {TARGET_ROWS_GROWTH_MB:.0f} MB")
    else:
        target(label, "not measured (a run failed)", False, f"≤ {TARGET_PEAK_MB:.0f} MB")

    label = "10,000 collection files × 10 requests, `courier validate`"
    if validate:
        target(label.replace("10,000", f"{validate['files']:,}"),
               f"{validate['wall'] * 1000:,.0f} ms, {validate['rss_mb']:.1f} MB",
               validate["wall"] < TARGET_VALIDATE_S and validate["rss_mb"] < TARGET_VALIDATE_MB
               and validate["files"] == 10_000,
               f"< {TARGET_VALIDATE_S:.0f} s and < {TARGET_VALIDATE_MB:.0f} MB")
        validate["rps"] = validate["files"] / validate["wall"]
        detail(label, names["courier"], validate, f"{validate['rps']:,.0f} files/s")
    else:
        target(label, "not measured (validate failed)", False, "< 1 s and < 200 MB")
    sv, sva = startup.get("version"), startup.get("validate")
    shown = (f"`--version` {sv * 1000:.1f} ms, `validate` of one file {sva * 1000:.1f} ms"
             if sv and sva else "not measured")
    target("start-up (`courier --version`, `courier validate` of one file)", shown,
           bool(sv and sva) and max(sv, sva) * 1000 <= TARGET_STARTUP_MS, f"≤ {TARGET_STARTUP_MS:.0f} ms")

    print("| workload | measured | target | |")
    print("|---|---|---|---|")
    for label, shown, goal, ok in checks:
        print(f"| {label} | {shown} | {goal} | {'met' if ok else '**missed**'} |")
    print()
    print(f"Figures (median of {args.rounds} interleaved rounds; start-up: median of {args.startup_rounds}):")
    print()
    print("| workload | runner | wall | requests/s | CPU | peak RSS | |")
    print("|---|---|---:|---:|---:|---:|---|")
    print("\n".join(details))
    for r, why in missing.items():
        print(f"\n{names.get(r, r)} was not run: {why}")
    with open(os.path.join(w, "results.json"), "w", encoding="utf-8") as f:
        json.dump({"date": time.strftime("%Y-%m-%d %H:%M"),
                   "targets": [{"name": n, "value": s, "target": g, "met": ok} for n, s, g, ok in checks],
                   "startup_s": startup, "validate": validate}, f, indent=1)
    bad = any((k, "courier") in failed for k, _, _ in workloads)
    return 1 if bad or (args.check and not all(ok for *_, ok in checks)) else 0


def smoke(args):
    """Every workload at small N against `courier emulator` (nothing installed): the script and
    the code paths it measures still work. No targets: the figures mean nothing at this size."""
    w = args.work
    emu = Emulator(args.courier, 5, 2)
    lines = []
    try:
        env = emu.env_file(os.path.join(w, "emu2.yaml"), 2)
        ok, wall, cpu, rss, stats = slots_run(args, emu, env, 3)
        if not ok:
            return 1
        lines.append(f"| 3 collections × 4 requests, `--parallel 3`, `max_concurrency: 2`, emulator "
                     f"`--latency 5ms --max-concurrent 2` | {wall * 1000:,.1f} ms | {cpu * 1000:,.0f} ms | "
                     f"{rss / 1024:.1f} MB | in-flight peak {stats.get('in_flight_peak')}, "
                     f"{stats.get('concurrency_rejections')} rejected |")
        emu.reset()
        # The other smoke runs measure Courier, not the emulator's latency.
        emu.faults({"latency": "0ms"})
        cache = {"COURIER_TOKEN_CACHE": os.path.join(w, "tokens.json")}
        ok, wall, cpu, rss = run_once(courier_run(args, f"{w}/smoke.yaml", env), w, cache)
        if not ok:
            return 1
        lines.append(f"| {args.smoke_n} GETs, sequential | {wall * 1000:,.1f} ms | {cpu * 1000:,.0f} ms | "
                     f"{rss / 1024:.1f} MB | {args.smoke_n / wall:,.0f} requests/s |")
        ok, wall, cpu, rss = rows_run(args, env, 3, f"{w}/smoke.yaml")
        if not ok:
            return 1
        lines.append(f"| {args.smoke_n} GETs × 3 data rows, `--junit --json --html` | {wall * 1000:,.1f} ms | "
                     f"{cpu * 1000:,.0f} ms | {rss / 1024:.1f} MB | |")
    finally:
        emu.stop()
    validate = validate_runs(args, args.validate, 3)
    if validate is None:
        return 1
    lines.append(f"| `courier validate`, {validate['files']} files × 10 requests | {validate['wall'] * 1000:,.1f} ms | "
                 f"{validate['cpu'] * 1000:,.0f} ms | {validate['rss_mb']:.1f} MB | |")
    startup = startup_runs(args, os.path.join(args.validate, sorted(os.listdir(args.validate))[0]), 3)
    if None in startup.values():
        return 1
    lines.append(f"| start-up: `--version`, `validate` of one file | {startup['version'] * 1000:.1f} ms, "
                 f"{startup['validate'] * 1000:.1f} ms | | | |")
    print("| smoke workload (Courier against `courier emulator`) | wall | CPU | peak RSS | |")
    print("|---|---:|---:|---:|---|")
    print("\n".join(lines))
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--courier", required=True)
    ap.add_argument("--hurl")
    ap.add_argument("--wrk")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--startup-rounds", type=int, default=15)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--smoke-n", type=int, default=200)
    ap.add_argument("--load-only", action="store_true", help="only the load/validate benchmark")
    ap.add_argument("--skip", action="append", default=[], help="RUNNER=WHY: a peer that is missing")
    ap.add_argument("--versions", default="{}", help="JSON {runner: version text}")
    ap.add_argument("--validate", help="a folder of generated collections for `courier validate`")
    args = ap.parse_args()
    args.work = os.path.abspath(args.work)
    # Runs happen inside the work directory: a relative program path must not move with it.
    for r in ("courier", "hurl", "wrk"):
        v = getattr(args, r)
        if v and os.sep in v:
            setattr(args, r, os.path.abspath(v))
    if args.validate:
        args.validate = os.path.abspath(args.validate)

    if args.smoke:
        return smoke(args)
    if args.load_only:
        v = validate_runs(args, args.validate, max(args.rounds, 5))
        if v is None:
            return 1
        met = v["wall"] < TARGET_VALIDATE_S and v["rss_mb"] < TARGET_VALIDATE_MB
        print(f"`courier validate`: {v['files']:,} files × 10 requests in {v['wall'] * 1000:,.0f} ms "
              f"(median), {v['files'] / v['wall']:,.0f} files/s, CPU {v['cpu'] * 1000:,.0f} ms, "
              f"peak RSS {v['rss_mb']:.1f} MB")
        print(f"Target: under 1 s and 200 MB: {'met' if met else 'MISSED'}")
        return 1 if args.check and not met else 0
    return full(args)


if __name__ == "__main__":
    sys.exit(main())
