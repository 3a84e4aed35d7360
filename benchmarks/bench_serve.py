"""What the service costs: `POST /api/evaluate` against `perfrules serve` on loopback, with 1
and 8 concurrent clients, beside the library path's rate for the same departments. One run,
one generated data set; ratios between figures of this run, nothing asserted.

    python benchmarks/bench_serve.py            # 2,000 requests per figure
    python benchmarks/bench_serve.py --quick    # a smoke run of a few seconds

Figures:
  (s1) library path: the same JSON bodies read and scored in one process, as a worker does;
  (s2) the service, 1 client: requests one after another (keep-alive), requests/s, p50, p99;
  (s3) the service, 8 clients: 8 threads each with its own keep-alive connection;
  the overhead ratios: (s2) / (s1), and (s3) / (s1) beside the machine's cores.
The clients (http.client, no library) run in this process and share the machine's cores with
the server and its workers: on a 2-core machine the 8-client figure measures the whole
machine, clients included. Every answer's score is checked against the library path's.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))

import generate  # noqa: E402


def library_rate(bodies: list[bytes]) -> tuple[float, list[str]]:
    """The worker's own path (web.jobs.evaluate on a JSON body), in this process."""
    from perfrules.web import jobs
    jobs.init(())
    sources = [jobs.Source(jobs.BODY, b, body=True) for b in bodies]
    for s in sources[:50]:
        jobs.evaluate(s, "zh", "json")           # warm
    start = time.perf_counter()
    answers = [jobs.evaluate(s, "zh", "json") for s in sources]
    elapsed = time.perf_counter() - start
    assert not any(a.problems for a in answers), [a.problems for a in answers if a.problems][:1]
    return len(bodies) / elapsed, [json.loads(a.json)["score"] for a in answers]


def _post(conn: http.client.HTTPConnection, body: bytes) -> tuple[float, str]:
    start = time.perf_counter()
    conn.request("POST", "/api/evaluate", body, {"Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    took = time.perf_counter() - start
    if r.status != 200:
        raise RuntimeError(f"{r.status}: {data[:300]!r}")
    return took, json.loads(data)["score"]


def service_run(port: int, bodies: list[bytes], clients: int) -> tuple[float, list[float], list[str]]:
    """requests/s, the latencies and the scores (in input order) with `clients` threads."""
    latencies: list[float] = [0.0] * len(bodies)
    scores: list[str] = [""] * len(bodies)
    lock = threading.Lock()
    next_index = iter(range(len(bodies)))
    errors: list[BaseException] = []

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            while True:
                with lock:
                    i = next(next_index, None)
                if i is None:
                    return
                latencies[i], scores[i] = _post(conn, bodies[i])
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            conn.close()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return len(bodies) / elapsed, latencies, scores


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=2000, help="requests per figure")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--workers", type=int, default=0, help="the server's --workers (0: one per CPU)")
    args = ap.parse_args(argv)
    n = 100 if args.quick else args.n
    bodies = [json.dumps(d, ensure_ascii=False).encode("utf-8") for d in generate.departments(n)]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    print(f"perfrules service benchmark: {n:,} departments per figure, {cores} cores, Python {sys.version.split()[0]}")

    lib_rate, lib_scores = library_rate(bodies)
    print(f"(s1) library path (web.jobs.evaluate, 1 process)     {lib_rate:10,.0f} departments/s")

    from serving import Server
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp) / "bench.db", *(["--workers", str(args.workers)] if args.workers else [])).start()
        try:
            warm = [bodies[i % len(bodies)] for i in range(min(100, n))]
            service_run(server.port, warm, 2)
            figures = {}
            for clients in (1, 8):
                rps, lat, scores = service_run(server.port, bodies, clients)
                agree = scores == lib_scores
                figures[clients] = rps
                print(f"(s{1 + (clients > 1) + 1}) service, {clients} client{'s' if clients > 1 else ' '}"
                      f"                         {rps:10,.0f} requests/s   p50 {pct(lat, 50) * 1000:6.1f} ms   "
                      f"p99 {pct(lat, 99) * 1000:6.1f} ms   scores equal to the library path's: {'yes' if agree else 'NO'}")
        finally:
            server.stop()
    print(f"service, 1 client / library path                      {figures[1] / lib_rate:10.2f}x")
    print(f"service, 8 clients / library path                     {figures[8] / lib_rate:10.2f}x   "
          f"({cores} cores shared by the server, its workers and the clients)")
    print(f"service, 8 clients / 1 client                         {figures[8] / figures[1]:10.2f}x")
    total = sum(Decimal(s) for s in lib_scores)
    print(f"mean score {total / len(lib_scores):.2f} over {len(lib_scores):,} departments")
    return 0


if __name__ == "__main__":
    sys.exit(main())
