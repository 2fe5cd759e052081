"""``make bench``: how fast and how big planqa is on this machine, on the real plan, in one command.

    python -m bench.run [--repeats 5] [--cold-runs 3] [--build-runs 3]

Measures, with the index of ``.cache/index`` already built (``make bench`` builds it first):

- the full index build, in a temporary folder (the live index is not touched), the median of a few
  runs: total seconds and each stage (parse + chunk, embed, BM25, glossary, FAISS add + write, the
  rest: files, checksums, fsync, swap);
- a cold ``planqa ask`` (a new process, from its start to the printed answer), median of a few runs;
- warm latency of :func:`qa.answer.answer` per retriever (bm25, dense, hybrid) at k=5 and k=10:
  median, p95, p99 over every dev question, repeated; and the query encode alone, the floor that a
  dense query cannot go below. The probes are interleaved question by question, so noise from other
  processes falls on all of them alike;
- the peak RSS of a serving process (``planqa serve``, after it answered every dev question);
- the index size on disk (and the model folder's, for scale).

Each figure is also given as a ratio to the bm25-only path measured in the same run: a build
without the dense side, a cold ``ask --retriever bm25``, the bm25 retriever at the same k, a process
that serves bm25 from the index without loading the model, the index without its vectors.
Writes ``bench/results/latest.json`` and ``bench/results/latest.md`` and prints the machine line and
the table. Timings taken while other processes use the cores are noisy: the machine line shows
the load average.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from statistics import median_high

from bench import dev_questions, latency_ms, peak_rss_mb, write_result
from bench.loadtest import ask, serve, visitor_address
from index.paths import PROJECT_ROOT, default_index_dir, default_model_dir

MODES = ("bm25", "dense", "hybrid")
KS = (5, 10)
COLD_QUESTION = "乡村绿化覆盖率要达到多少？"
TARGETS = {"build_s": 30.0, "cold_ask_s": 8.0, "hybrid@5_p95_ms": 30.0, "hybrid@10_p95_ms": 30.0,
           "serve_rss_mb": 1600.0}


def machine() -> dict:
    """What the numbers were measured on, including how busy the machine was."""
    import psutil
    import torch

    return {
        "cpu_model": _cpu_model(),
        "cores_logical": os.cpu_count(),
        "cores_physical": psutil.cpu_count(logical=False),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


# -- build -----------------------------------------------------------------------------------
def measure_build(runs: int) -> dict:
    """The median of ``runs`` builds (by total seconds), with its stages and every run's total. Each
    build runs in a new process, as ``planqa index`` would: torch and the model load afresh."""
    builds = sorted((json.loads(run_child("build_child")) for _ in range(runs)), key=lambda b: b["total_s"])
    return {**builds[len(builds) // 2], "runs_s": [b["total_s"] for b in builds]}


def build_child() -> None:
    """In a child process: build the plan's index into a temporary folder and print, as JSON, the
    seconds in total and per stage."""
    from index.paths import DEFAULT_SOURCE
    from index.source import read_source
    from index.store import IndexSettings, build_index

    source = read_source(DEFAULT_SOURCE)
    with tempfile.TemporaryDirectory(prefix="planqa-bench-") as tmp:
        t, cpu = time.perf_counter(), time.process_time()
        manifest = build_index(source, Path(tmp) / "index", IndexSettings())  # loads the model itself
        total, cpu = time.perf_counter() - t, time.process_time() - cpu
    stages = dict(manifest["build_seconds"])
    stages["rest"] = round(total - sum(stages.values()), 3)
    # CPU seconds (all threads): on a busy machine, wall time grows while CPU time does not
    print(json.dumps({"total_s": round(total, 3), "cpu_s": round(cpu, 2), "stages_s": stages,
                      "passages": manifest["counts"]["passages"]}))


# -- cold ask --------------------------------------------------------------------------------
def measure_cold(runs: int, retriever: str) -> dict:
    """Wall seconds of ``planqa ask --json`` in a new process, from its start to its exit (and the
    CPU seconds it used)."""
    times, cpus = [], []
    for _ in range(runs):
        cmd = [sys.executable, "-m", "qa", "ask", COLD_QUESTION, "--retriever", retriever, "--json"]
        t, before = time.perf_counter(), os.times()
        done = subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
        times.append(time.perf_counter() - t)
        after = os.times()
        cpus.append(after.children_user + after.children_system - before.children_user - before.children_system)
        if done.returncode != 0 or not json.loads(done.stdout)["passages"]:
            raise RuntimeError(f"planqa ask failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return {"runs_s": [round(x, 2) for x in times], "median_s": round(median_high(times), 2),
            "cpu_s": [round(x, 2) for x in cpus]}


# -- warm queries ----------------------------------------------------------------------------
def measure_warm(engine, questions: list[str], repeats: int) -> dict[str, dict]:
    """Latency of every probe on every question, ``repeats`` times, interleaved."""
    from qa.answer import answer

    r = engine.retriever
    probes = {f"{mode}@{k}": partial(answer, r, k=k, mode=mode) for mode in MODES for k in KS}
    probes["encode"] = lambda q: r.encode([q])
    for probe in probes.values():
        probe(questions[0])  # first calls pay one-off costs (allocations, lazy imports)
    times: dict[str, list[float]] = {name: [] for name in probes}
    for _ in range(repeats):
        for q in questions:
            for name, probe in probes.items():
                t = time.perf_counter()
                probe(q)
                times[name].append(time.perf_counter() - t)
    return {name: latency_ms(ts) for name, ts in times.items()}


# -- memory ----------------------------------------------------------------------------------
def measure_serving_rss(questions: list[str]) -> dict:
    """Peak RSS of ``planqa serve`` after it answered every dev question through ``/ask`` (each from a
    visitor of its own, so the rate limit does not refuse them)."""
    try:
        with serve() as server:
            outcomes = [ask(server.url, visitor_address(n), q, timeout=120) for n, q in enumerate(questions)]
            rss = peak_rss_mb(server.pid)
    except RuntimeError as exc:  # the app would not start: the other figures still stand
        return {"peak_rss_mb": None, "error": str(exc)[-500:]}
    failed = [o.message for o in outcomes if o.kind != "ok"]
    return {"peak_rss_mb": rss, "asked": len(outcomes), "failed": len(failed), "first_failure": failed[:1]}


def measure_bm25_only_rss() -> float:
    """Peak RSS of a process that loads the index without the model and answers with bm25."""
    return float(run_child("bm25_only_child"))


def run_child(function: str) -> str:
    """Call ``bench.run.<function>()`` in a new Python process; the last line it printed."""
    code = f"from bench.run import {function}; {function}()"
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=600, check=True)
    return done.stdout.strip().splitlines()[-1]


def bm25_only_child() -> None:
    """In a child process: serve every dev question with bm25 and no model, print the peak RSS in MB."""
    from index.paths import DEFAULT_SOURCE
    from index.source import read_source
    from index.store import IndexSettings, load_index
    from qa.answer import answer
    from qa.retrieve import Retriever

    source = read_source(DEFAULT_SOURCE)
    retriever = Retriever(load_index(default_index_dir(), source, IndexSettings()), encode=None)
    for q in dev_questions():
        answer(retriever, q, k=10, mode="bm25")
    print(peak_rss_mb(os.getpid()))


def disk_mb(path: Path) -> float:
    """Size of a file or folder (symlinks followed at the top only), in MB."""
    path = path.resolve()
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return round(sum(p.stat().st_size for p in files) / 2**20, 3)


def measure_disk() -> dict:
    index_dir = default_index_dir().resolve()
    return {"index_mb": disk_mb(index_dir), "vectors_mb": disk_mb(index_dir / "vectors.faiss"),
            "model_mb": disk_mb(default_model_dir())}


# -- the table -------------------------------------------------------------------------------
def rows(r: dict) -> list[dict]:
    """One row a figure: value, its bm25-only counterpart, the ratio, the target and whether it is met."""
    build, warm = r["build"], r["warm"]
    # what a build without the dense side would take: no model to load, nothing to embed or store
    no_dense = build["total_s"] - sum(build["stages_s"][s] for s in ("model_load", "embed", "faiss"))
    cold = r["cold"]
    out = [_row(f"build: total, median of {len(build['runs_s'])}", build["total_s"], "s", no_dense,
                TARGETS["build_s"])]
    out += [_row(f"build: {stage}", secs, "s", no_dense) for stage, secs in build["stages_s"].items()]
    out.append(_row("build: CPU time, all threads", build["cpu_s"], "s", None))
    out.append(_row("cold `planqa ask` (hybrid), median", cold["hybrid"]["median_s"], "s",
                    cold["bm25"]["median_s"], TARGETS["cold_ask_s"]))
    out.append(_row("cold `planqa ask` (hybrid), CPU time, median", median_high(cold["hybrid"]["cpu_s"]), "s",
                    median_high(cold["bm25"]["cpu_s"])))
    for mode in MODES:
        for k in KS:
            for stat in ("p50", "p95", "p99"):
                target = TARGETS.get(f"{mode}@{k}_{stat}_ms")
                out.append(_row(f"warm {mode} k={k} {stat}", warm[f"{mode}@{k}"][stat], "ms",
                                warm[f"bm25@{k}"][stat], target))
    for stat in ("p50", "p95", "p99"):
        out.append(_row(f"query encode alone {stat}", warm["encode"][stat], "ms", warm["bm25@5"][stat]))
    out.append(_row("serving peak RSS", r["rss"]["serve"]["peak_rss_mb"], "MB", r["rss"]["bm25_only_mb"],
                    TARGETS["serve_rss_mb"]))
    disk = r["disk"]
    out.append(_row("index on disk", disk["index_mb"], "MB", disk["index_mb"] - disk["vectors_mb"]))
    out.append(_row("model folder on disk", disk["model_mb"], "MB", None))
    return out


def _row(figure: str, value, unit: str, baseline, target: float | None = None) -> dict:
    ratio = round(value / baseline, 2) if value is not None and baseline else None
    met = None if target is None or value is None else value <= target
    return {"figure": figure, "value": value, "unit": unit, "bm25_only": _round(baseline), "ratio": ratio,
            "target": target, "met": met}


def _round(x):
    return round(x, 3) if isinstance(x, float) else x


def machine_line(m: dict) -> str:
    return (f"{m['cores_logical']} cores ({m['cores_physical']} physical), {m['cpu_model']}, "
            f"{m['memory_gb']} GB, {m['os']}, Python {m['python']}, torch {m['torch']} "
            f"({m['torch_threads']} threads, OMP_WAIT_POLICY={m['omp_wait_policy'] or 'unset'}), "
            f"load average at start {' / '.join(map(str, m['load_average_at_start']))}")


def markdown(result: dict) -> str:
    head = [f"# planqa bench, {result['measured_at']}", "", f"Machine: {machine_line(result['machine'])}", "",
            "| figure | value | bm25-only | ratio | target | met |", "|---|---:|---:|---:|---:|:---:|"]
    body = [f"| {r['figure']} | {_show(r['value'])} {r['unit']} | {_show(r['bm25_only'])} | "
            f"{_show(r['ratio'], '×')} | {_show(r['target'], ' ' + r['unit'] if r['target'] else '')} | "
            f"{ {True: 'yes', False: '**no**', None: ''}[r['met']] } |" for r in result["table"]]
    notes = [] if result["rss"]["serve"].get("error") is None else \
        ["", f"Serving RSS not measured: {result['rss']['serve']['error']}"]
    return "\n".join(head + body + notes) + "\n"


def _show(x, suffix: str = "") -> str:
    return "—" if x is None else f"{x}{suffix}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=5, help="passes over the dev questions for warm latency")
    p.add_argument("--cold-runs", type=int, default=3, help="cold `planqa ask` runs per retriever")
    p.add_argument("--build-runs", type=int, default=3, help="index builds, of which the median is shown")
    args = p.parse_args(argv)
    from qa.cli import runtime_defaults
    from qa.engine import open_engine

    runtime_defaults()  # the settings `planqa` itself runs with, so the in-process figures match it

    result = {"measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine()}
    print(f"machine: {machine_line(result['machine'])}", flush=True)
    questions = dev_questions()
    engine = open_engine()
    steps = [("build", lambda: measure_build(args.build_runs)),
             ("warm", lambda: measure_warm(engine, questions, args.repeats)),
             ("cold", lambda: {mode: measure_cold(args.cold_runs, mode) for mode in ("hybrid", "bm25")}),
             ("rss", lambda: {"serve": measure_serving_rss(questions), "bm25_only_mb": measure_bm25_only_rss()}),
             ("disk", measure_disk)]
    for name, step in steps:
        print(f"measuring {name} …", flush=True)
        result[name] = step()
        print(f"  {json.dumps(result[name], ensure_ascii=False)[:400]}", flush=True)
    result["table"] = rows(result)
    write_result("latest.json", result)
    table = markdown(result)
    write_result("latest.md", table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
