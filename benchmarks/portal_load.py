"""Load on the web portal: concurrent clients against the member dashboard and the staff queue.

    python benchmarks/portal_load.py                       # 10 000 members, 20 clients, 20 s
    python benchmarks/portal_load.py -n 1000 --seconds 5   # a quick look

Builds the Koperasi world of the batch benchmarks (``worlds.prepare_koperasi``: N
members with a year of savings, loans for a third of them, wajib gaps, touchpoints)
on SQLite, adds portal logins for some members and one per staff role, and serves the
portal from a **separate process** on waitress (``[web] threads``, default 8), as
``dyncrm serve`` does.  Then ``--clients`` threads, half of them members (each with
their own login) and half staff (treasurer, cashier, secretary, credit committee in
turn), sign in through the real form and request their page over and over: members
``/`` (their dashboard, built from every enabled plugin's cards), staff ``/queue``
(every queue source their roles see).  Prints p50/p95/p99 latency and requests per
second per page.  Not a test: the figures depend on the machine and its load (the
clients share its cores with the server).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402
import worlds  # noqa: E402

PASSWORD = "benchmark portal passphrase 2025"
STAFF = {"bendahara": "treasurer", "kasir": "cashier", "sekretaris": "secretary",
         "panitia": "credit_committee"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def build(folder: Path, n: int, members: int) -> list[str]:
    """The Koperasi world of ``n`` members in ``folder``; returns the member logins."""
    world = harness.generate_world(folder, n, enabled=worlds.ENABLED, plugins=worlds.PLUGINS)
    crm = harness.open_world(world, worlds.ENABLED, worlds.PLUGINS)
    try:
        worlds.prepare_koperasi(crm, world)
        logins = []
        step = max(1, n // members)
        with crm.database.atomic():
            for user, role in STAFF.items():
                crm.users.add(user, roles=[role], password=PASSWORD)
            for i, member_id in enumerate(world.member_ids[::step][:members]):
                crm.users.add(f"anggota{i}", roles=["member"], password=PASSWORD,
                              member_id=member_id)
                logins.append(f"anggota{i}")
    finally:
        crm.close()
    return logins


def serve(folder: Path, port: int, threads: int) -> None:
    """The server process: the portal of the world in ``folder`` on waitress."""
    import logging

    import waitress

    from dyncrm.app import CRM
    from dyncrm.web import create_app

    crm = CRM(harness.build_config(folder, worlds.ENABLED, worlds.PLUGINS))
    # more clients than threads is the point of the run: waitress's "Task queue depth"
    # warnings would bury the table
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    waitress.serve(create_app(crm=crm), host="127.0.0.1", port=port, threads=threads,
                   ident="dyncrm", _quiet=True)


class Client:
    """One browser: its own cookies, signed in through the form."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = self.opener.open(f"{base}/login", timeout=30).read().decode()
        token = TOKEN.search(page).group(1)
        form = urllib.parse.urlencode({"username": username, "password": PASSWORD,
                                       "csrf_token": token}).encode()
        landed = self.opener.open(f"{base}/login", data=form, timeout=30)
        if landed.url.rstrip("/") != base:
            raise SystemExit(f"sign-in of {username} failed ({landed.url})")

    def get(self, path: str) -> float:
        started = time.perf_counter()
        with self.opener.open(f"{self.base}{path}", timeout=60) as response:
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{path}: {response.status}")
        return time.perf_counter() - started


def run_clients(base: str, members: list[str], clients: int, seconds: float
                ) -> dict[str, list[float]]:
    """``clients`` threads requesting their page for ``seconds``; latencies per page."""
    results: dict[str, list[float]] = {"/": [], "/queue": []}
    errors: list[str] = []
    lock = threading.Lock()
    staff = list(STAFF)
    plan = [(members[i // 2 % len(members)], "/") if i % 2 == 0
            else (staff[i // 2 % len(staff)], "/queue") for i in range(clients)]
    signed = [Client(base, user) for user, _ in plan]
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def work(client: Client, path: str) -> None:
        start.wait()
        mine = []
        while time.perf_counter() < stop_at[0]:
            try:
                mine.append(client.get(path))
            except Exception as exc:  # a failed request is counted, not fatal
                with lock:
                    errors.append(f"{path}: {exc}")
        with lock:
            results[path].extend(mine)

    threads = [threading.Thread(target=work, args=(c, path))
               for c, (_, path) in zip(signed, plan, strict=True)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + seconds
    start.wait()
    for t in threads:
        t.join()
    if errors:
        print(f"{len(errors)} failed requests, e.g. {errors[0]}")
    return results


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--members", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--threads", type=int, default=8, help="server threads")
    parser.add_argument("--serve", nargs=2, metavar=("FOLDER", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve[0]), int(args.serve[1]), args.threads)
        return
    with tempfile.TemporaryDirectory(prefix="dyncrm-portal-load-") as tmp:
        folder = Path(tmp) / "world"
        began = time.perf_counter()
        logins = build(folder, args.members, max(1, args.clients // 2))
        print(f"world of {args.members} members built in {time.perf_counter() - began:.1f}s")
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(folder), str(port),
                                   "--threads", str(args.threads)])
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(f"{base}/health", timeout=2).read()
                    break
                except OSError:
                    time.sleep(0.1)
            results = run_clients(base, logins, args.clients, args.seconds)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"\n{args.clients} clients for {args.seconds:.0f}s, server: one process, "
          f"{args.threads} threads, SQLite, {args.members} members")
    print(f"{'page':<24}{'requests':>9}{'req/s':>8}{'p50':>9}{'p95':>9}{'p99':>9}")
    total = 0
    for path, label in (("/", "member dashboard  /"), ("/queue", "staff queue  /queue")):
        values = results[path]
        total += len(values)
        if len(values) < 2:
            print(f"{label:<24}{len(values):>9}")
            continue
        print(f"{label:<24}{len(values):>9}{len(values) / args.seconds:>8.1f}"
              f"{percentile(values, 50) * 1000:>7.0f}ms{percentile(values, 95) * 1000:>7.0f}ms"
              f"{percentile(values, 99) * 1000:>7.0f}ms")
    print(f"{'all':<24}{total:>9}{total / args.seconds:>8.1f}")


if __name__ == "__main__":
    main()
