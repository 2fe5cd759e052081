"""``make loadtest``: a crowd of demo visitors on ``planqa serve``, through the ``/ask`` endpoint.

    python -m bench.loadtest [--clients 20] [--questions 10] [--timeout 300] [--rate-limit N] [--queue-size N]

It starts ``planqa serve`` on 127.0.0.1 on a free port and waits until the app answers. Then:

1. the crowd: ``--clients`` visitors at once, each with its own address, ask ``--questions``
   questions each, one after the other, drawn from the dev gold set with a fixed seed; at most
   ``--timeout`` seconds;
2. two probes of the app's limits, with visitors of their own, at most 60 s each: one visitor asks
   one question more than the rate limit allows in a minute; then four times as many visitors as the
   queue holds plus those being answered ask one question each, all at once.

Then it stops the server it started, and only that one. Every call ends as one outcome:

- ``ok``: an answer with its passages;
- ``rate_limit``: refused by the per-visitor rate limit (the message contains "rate" or "频繁");
- ``queue_full``: refused because the server's queue is full (HTTP 503 "Queue is full");
- ``error``: anything else (a traceback, a timeout, a malformed answer). The target is 0.

Refusals are counted apart from errors, each with the first message seen, so the report shows what a
refused visitor reads. ``--rate-limit`` (``PLANQA_RATE_LIMIT``, questions a minute per visitor) and
``--queue-size`` (``PLANQA_QUEUE_SIZE``) set the server's limits; unset, the app's defaults hold.
Results go to ``bench/results/loadtest.json``; the exit code is 1 when any call ended in an error.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from bench import dev_questions, latency_ms, peak_rss_mb, write_result
from index.paths import PROJECT_ROOT

TARGET_P95_S = 1.0
OUTCOMES = ("ok", "rate_limit", "queue_full", "error")
_RATE = re.compile(r"\brate\b|频繁", re.IGNORECASE)
_QUEUE = re.compile(r"queue|队列|排队", re.IGNORECASE)


@dataclass(frozen=True)
class Server:
    url: str
    pid: int


@dataclass(frozen=True)
class Outcome:
    kind: str  # one of OUTCOMES
    seconds: float
    message: str = ""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(env: dict[str, str] | None = None, start_timeout: float = 300.0) -> Iterator[Server]:
    """Run ``planqa serve`` on a free port until the block ends, then stop that process.

    ``env`` is added to this process's environment. Raises RuntimeError, with the end of the
    server's log, if it exits or does not answer within ``start_timeout`` seconds.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    full_env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", **(env or {})}
    with tempfile.TemporaryFile("w+", encoding="utf-8") as log:
        proc = subprocess.Popen([sys.executable, "-m", "qa", "serve", "--host", "127.0.0.1", "--port", str(port)],
                                cwd=PROJECT_ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_up(proc, url, start_timeout, log)
            yield Server(url, proc.pid)
        finally:
            _stop(proc)


def _wait_until_up(proc: subprocess.Popen, url: str, timeout: float, log) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"planqa serve exited with code {proc.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"planqa serve did not answer at {url} within {timeout:.0f} s:\n{_tail(log)}")


def _tail(log, lines: int = 20) -> str:
    log.seek(0)
    return "\n".join(log.read().splitlines()[-lines:])


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server we started: SIGTERM, then SIGKILL if it has not exited after 10 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def classify(message: str) -> str:
    """Which outcome a refused or failed call is, from the message the visitor got."""
    if _QUEUE.search(message):
        return "queue_full"
    if _RATE.search(message):
        return "rate_limit"
    return "error"


def visitor_address(n: int) -> str:
    """The address of demo visitor ``n``, from the benchmarking range 198.18.0.0/15 (RFC 2544).

    The app keys its rate limit on the peer address, and uvicorn takes that from X-Forwarded-For
    when the request comes from 127.0.0.1 (a trusted proxy); so each visitor sends its own address,
    as a reverse proxy in front of the demo would for real visitors.
    """
    return f"198.18.{n // 250}.{n % 250 + 1}"


def call_ask(url: str, data: list, address: str, timeout: float) -> tuple[str, object]:
    """Call ``/ask`` over Gradio's HTTP API: POST the inputs, then read the result's event stream.

    Returns ``("complete", answer)``, ``("error", message)`` for an error the app raised, or
    ``("refused", "HTTP 503: …")`` when the server turns the call away at the door (a full queue).
    A plain HTTP client keeps the load generator light: gradio_client spent more CPU per call
    than the server did, on the same two cores.
    """
    headers = {"Content-Type": "application/json", "X-Forwarded-For": address}
    post = urllib.request.Request(f"{url}gradio_api/call/ask", json.dumps({"data": data}).encode(), headers)
    try:
        with urllib.request.urlopen(post, timeout=timeout) as r:
            event_id = json.load(r)["event_id"]
    except urllib.error.HTTPError as exc:
        return "refused", f"HTTP {exc.code}: {exc.read().decode(errors='replace')[:300]}"
    stream = urllib.request.Request(f"{url}gradio_api/call/ask/{event_id}", headers=headers)
    with urllib.request.urlopen(stream, timeout=timeout) as r:
        return _final_event(r)


def _final_event(lines) -> tuple[str, object]:
    """The ``complete`` or ``error`` event of a Gradio event stream (heartbeats are skipped)."""
    event = ""
    for raw in lines:
        line = raw.decode("utf-8").rstrip("\n")
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:") and event in ("complete", "error"):
            data = json.loads(line[5:])
            if event == "complete":
                return "complete", data[0]
            return "error", (data or {}).get("error") or "an error with no message"
    return "error", f"the event stream ended without a result (last event {event!r})"


def ask(url: str, address: str, question: str, timeout: float) -> Outcome:
    """One visitor's question through ``/ask`` (k=5, hybrid), timed and classified; never raises."""
    t = time.perf_counter()
    try:
        status, result = call_ask(url, [question, 5, "hybrid", ""], address, timeout)
    except (OSError, ValueError, LookupError, TypeError) as exc:  # refused, reset, timed out or garbled
        return Outcome("error", time.perf_counter() - t, f"{type(exc).__name__}: {exc}"[:300])
    seconds = time.perf_counter() - t
    if status != "complete":
        return Outcome(classify(result), seconds, str(result)[:300])
    if not (isinstance(result, dict) and isinstance(result.get("passages"), list)):
        return Outcome("error", seconds, f"malformed answer: {str(result)[:200]}")
    return Outcome("ok", seconds)


def run_visitors(url: str, plans: list[list[str]], first_visitor: int, timeout: float) -> list[Outcome]:
    """Visitors ``first_visitor``, ``first_visitor + 1``, … each ask their list of ``plans`` in turn,
    all visitors at once.

    Calls that would start after ``timeout`` seconds are not made; a call still waiting then is cut
    off as an error.
    """
    deadline = time.monotonic() + timeout
    start = threading.Barrier(len(plans))

    def visit(n: int) -> list[Outcome]:
        address = visitor_address(first_visitor + n)
        try:
            start.wait(timeout=timeout)
        except threading.BrokenBarrierError:
            pass  # the pool could not start every visitor at once; this one still asks
        out = []
        for q in plans[n]:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            out.append(ask(url, address, q, left))
        return out

    with ThreadPoolExecutor(max_workers=len(plans)) as pool:
        return [o for outcomes in pool.map(visit, range(len(plans))) for o in outcomes]


def draw(pool: list[str], clients: int, per_client: int, seed: int) -> list[list[str]]:
    """``per_client`` questions for each client, drawn from ``pool`` with a fixed seed."""
    rng = random.Random(seed)
    return [[rng.choice(pool) for _ in range(per_client)] for _ in range(clients)]


def summarize(outcomes: list[Outcome], planned: int, wall: float) -> dict:
    """Throughput, latency of answered calls, and each outcome's count with its first message."""
    counts = Counter(o.kind for o in outcomes)
    answered = [o.seconds for o in outcomes if o.kind == "ok"]
    return {
        "planned": planned,
        "made": len(outcomes),
        "wall_s": round(wall, 2),
        "throughput_qps": round(len(answered) / wall, 2) if wall else None,
        "latency_ms": latency_ms(answered),
        "counts": {kind: counts.get(kind, 0) for kind in OUTCOMES},
        "first_message": {kind: next((o.message for o in outcomes if o.kind == kind), None)
                          for kind in OUTCOMES if kind != "ok"},
    }


def phase(url: str, plans: list[list[str]], first_visitor: int, timeout: float) -> dict:
    """Run ``plans`` (see :func:`run_visitors`) and summarise them."""
    t = time.perf_counter()
    outcomes = run_visitors(url, plans, first_visitor, timeout)
    return summarize(outcomes, sum(map(len, plans)), time.perf_counter() - t)


def load_test(clients: int = 20, per_client: int = 10, timeout: float = 300.0, seed: int = 0,
              server_env: dict[str, str] | None = None) -> dict:
    """Start a server; run the crowd, then probe its limits; stop it; return the summaries.

    The probes come after the crowd, with visitors of their own (see the module's docstring).
    """
    from ui.ask import Limits

    server_env = server_env or {}
    limits = Limits.from_env({**os.environ, **server_env})
    questions = dev_questions()
    question = questions[0]
    # Four times what the server can hold: answers take ~15 ms, so a smaller burst can drain as it
    # arrives and never fill the queue (seen once with 2×, on a small queue).
    burst = 4 * (limits.queue_size + limits.concurrency)
    with serve(server_env) as server:
        first = ask(server.url, visitor_address(clients), question, 120.0)  # one-off start-up costs
        crowd = phase(server.url, draw(questions, clients, per_client, seed), 0, timeout)
        rss = peak_rss_mb(server.pid)
        rate = phase(server.url, [[question] * (limits.rate_per_minute + 1)], clients + 1, 60.0)
        queue = phase(server.url, [[question]] * burst, clients + 2, 60.0)
    return {"clients": clients, "questions_per_client": per_client, "server_url": server.url,
            "server_env": server_env,
            "limits": {"rate_per_minute": limits.rate_per_minute, "queue_size": limits.queue_size,
                       "concurrency": limits.concurrency},
            "first_answer": {"kind": first.kind, "ms": round(first.seconds * 1000, 1), "message": first.message},
            "server_peak_rss_mb": rss, "crowd": crowd, "probes": {"rate_limit": rate, "queue_full": queue}}


def report(result: dict) -> str:
    """The summaries as the few lines a person reads."""
    crowd, lat = result["crowd"], result["crowd"]["latency_ms"]
    p95_ok = lat["p95"] is not None and lat["p95"] <= TARGET_P95_S * 1000
    lines = [
        f"crowd: {result['clients']} clients × {result['questions_per_client']} questions, "
        f"{crowd['made']}/{crowd['planned']} calls in {crowd['wall_s']} s, {crowd['throughput_qps']} answers/s",
        f"  latency of answers: p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms "
        f"(target p95 ≤ {TARGET_P95_S * 1000:.0f} ms: {'met' if p95_ok else 'MISSED'})",
        f"  {_counts(crowd)}",
        f"  first answer after start {result['first_answer']['ms']} ms; server peak RSS "
        f"{result['server_peak_rss_mb']} MB; limits {result['limits']}",
    ]
    for name, probe in result["probes"].items():
        lines.append(f"probe {name}: {probe['made']} calls, {_counts(probe)}")
        lines += [f"  first {kind} message: {msg}" for kind, msg in probe["first_message"].items() if msg]
    return "\n".join(lines)


def _counts(summary: dict) -> str:
    c = summary["counts"]
    return (f"answered {c['ok']}, errors {c['error']}, rate-limit refusals {c['rate_limit']}, "
            f"queue-full refusals {c['queue_full']}")


def errors(result: dict) -> int:
    """Calls that ended in an error, in the first call, the crowd and the probes (the target is 0)."""
    first = result["first_answer"]["kind"] == "error"
    return first + sum(s["counts"]["error"] for s in (result["crowd"], *result["probes"].values()))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.loadtest", description=__doc__.split("\n")[0])
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--questions", type=int, default=10, help="questions each client asks")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds the whole run may take")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rate-limit", type=int, help="PLANQA_RATE_LIMIT for the server (questions/minute/client)")
    p.add_argument("--queue-size", type=int, help="PLANQA_QUEUE_SIZE for the server")
    args = p.parse_args(argv)
    if args.clients < 1 or args.questions < 1:
        p.error("--clients and --questions must be at least 1")
    env = {name: str(value) for name, value in (("PLANQA_RATE_LIMIT", args.rate_limit),
                                                 ("PLANQA_QUEUE_SIZE", args.queue_size)) if value is not None}
    result = load_test(args.clients, args.questions, args.timeout, args.seed, env)
    print(report(result))
    print(f"written to {write_result('loadtest.json', result)}")
    return 1 if errors(result) else 0


if __name__ == "__main__":
    sys.exit(main())
