"""SIGKILL at random moments of `dyncrm outbox send` and `dyncrm remind run --send`, through
every kind of channel, then the same command again: no message is ever delivered twice, and
every message is either delivered or listed by `dyncrm outbox unknown`.

What was delivered is counted where it arrives, never from the database: the messages a real
aiosmtpd received (SMTP); the posts a real ``http.server`` received, deduplicated by
``Idempotency-Key`` like a gateway that honours it, raw posts counted too (retain.http_gateway);
the ``.eml`` files and their inodes (file: a rewritten file is a second delivery); what the
process printed (console).

Each trial queues a few messages, starts a real ``dyncrm`` process and kills it (SIGKILL, no
clean-up) at one of three kinds of moment: a random time after it started; a random instant
after the server or folder has taken its k-th message; or inside the k-th hand-over, after the
server recorded the message and before it answered (the process dies not knowing).  The next
trial's process is the "run again" (and may be killed while recovering); a last uninterrupted
run ends each series.  ``DYNCRM_KILL_TRIALS`` (per channel) and ``DYNCRM_KILL_SEED`` repeat a
run or make it longer.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from retain_support import (
    SYSTEM,
    add_member,
    add_staff,
    http_server,
    smtp_notify,
    smtp_server,
    write_config,
)
from thirdparty import on_sys_path, write_distribution

from dyncrm.app import open_crm
from dyncrm.testing import run_cli

TRIALS = int(os.environ.get("DYNCRM_KILL_TRIALS", "27"))  # per channel, the first not killed
SEED = int(os.environ.get("DYNCRM_KILL_SEED", str(random.randrange(1_000_000))))
BATCH = 4
CHANNELS = ("smtp", "whatsapp", "file", "console")
DUES_PACKAGE = Path(__file__).resolve().parent / "plugins" / "dyncrm_test_dues"
CONSOLE_LINE = re.compile(r"^--- to \S+ via console: (.*)$", re.MULTILINE)

pytestmark = pytest.mark.skipif(not hasattr(os, "waitid"), reason="needs os.waitid (POSIX)")


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    """Requests to the loopback server must not go through a proxy from the environment."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                 "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


class Run:
    """One real ``dyncrm`` process the test may SIGKILL while it runs.

    Killing goes through :meth:`kill` only while the process has not been reaped (the
    test waits for its exit with ``WNOWAIT`` first), so a kill can never reach another
    process that got the same pid.
    """

    def __init__(self, argv: list[str], cwd: Path, out: Path, env: dict[str, str]) -> None:
        self.out_path = out
        self._out = out.open("wb")
        self._err = out.with_suffix(".err").open("wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=self._out,
                                     stderr=self._err)
        self._lock = threading.Lock()
        self.live, self.killed = True, False
        self._timers: list[threading.Timer] = []

    def kill(self) -> None:
        with self._lock:
            if self.live and not self.killed:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.killed = True

    def kill_after(self, seconds: float) -> None:
        timer = threading.Timer(seconds, self.kill)
        self._timers.append(timer)
        timer.start()

    def kill_when(self, count: Callable[[], int], target: int, delay: float) -> None:
        """Kill ``delay`` seconds after ``count()`` reached ``target`` (polled every 0.5 ms)."""

        def watch() -> None:
            while self.live and not self.killed:
                if count() >= target:
                    if delay:
                        time.sleep(delay)
                    self.kill()
                    return
                time.sleep(0.0005)

        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        self._timers.append(thread)  # joined in wait()

    def wait(self, timeout: float = 60) -> int:
        watchdog = threading.Timer(timeout, self.kill)
        watchdog.start()
        try:
            os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOWAIT)  # exited, not reaped
        finally:
            watchdog.cancel()
        with self._lock:
            self.live = False
        for t in self._timers:
            if isinstance(t, threading.Timer):
                t.cancel()
            t.join()
        self.seconds = time.monotonic() - self.started
        code = self.proc.wait()
        self._out.close()
        self._err.close()
        if code not in (0, -signal.SIGKILL):
            raise AssertionError(f"exit {code}: {self.out_path.with_suffix('.err').read_text()}")
        return code


class InsideKill:
    """Server-side trigger: kill the process inside its k-th hand-over, before the answer."""

    def __init__(self) -> None:
        self.run: Run | None = None
        self.left = 0
        self.lock = threading.Lock()

    def arm(self, run: Run, k: int) -> None:
        with self.lock:
            self.run, self.left = run, k

    def disarm(self) -> None:
        with self.lock:
            self.run = None

    def __call__(self) -> None:
        with self.lock:
            if self.run is None:
                return
            self.left -= 1
            if self.left == 0:
                self.run.kill()


def cli_env(extra_path: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    if extra_path is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            [str(extra_path), *filter(None, [os.environ.get("PYTHONPATH")])])
    return env


def db_rows(path: Path) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT id, subject, status, uid, attempts FROM outbox_message "
                           "ORDER BY id").fetchall()
    finally:
        con.close()


def interrupted(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT COUNT(*) FROM delivery_attempt WHERE error LIKE "
                           "'interrupted%'").fetchone()[0]
    finally:
        con.close()


def unknown_ids(config: Path, user: str = "admin") -> set[int]:
    """The ids `dyncrm outbox unknown --json` lists."""
    code, out, err = run_cli(["-c", str(config), "--as", user, "outbox", "unknown", "--json"])
    assert code == 0, err
    return {row["id"] for row in json.loads(out)["data"]}


# --- outbox send, four channels -------------------------------------------------------------


class Series:
    """One deployment whose messages all go through ``channel``, and its witness."""

    def __init__(self, root: Path, channel: str, box, port: int, gateway, url: str) -> None:
        self.channel, self.box, self.gateway = channel, box, gateway
        self.dir = root / channel
        self.dir.mkdir()
        self.config = write_config(
            self.dir, enabled=["retain.http_gateway"],
            notify={**smtp_notify(port), "default_channel": channel},
            plugins={"retain.http_gateway": {"url": url, "timeout": 5}})
        with open_crm(self.config) as crm:
            crm.upgrade()
            add_staff(crm, "admin", "admin")
        self.queued = 0
        self.outputs: list[Path] = []
        self.inodes: dict[Path, tuple[int, int]] = {}
        self.rewrites = 0
        self.kills = Counter()
        self.seconds: list[float] = []

    def queue(self, n: int) -> None:
        with open_crm(self.config) as crm, crm.action("test.queue", SYSTEM):
            for _ in range(n):
                self.queued += 1
                to = f"+62811{self.queued:05d}" if self.channel == "whatsapp" \
                    else f"m{self.queued}@example.org"
                crm.outbox.queue(recipient=to, subject=f"{self.channel} message {self.queued}",
                                 body=f"isi pesan {self.queued}", channel=self.channel)

    def arrived(self, output: Path | None = None) -> int:
        """How many messages reached the other side so far (raw, duplicates included)."""
        if self.channel == "smtp":
            return len(self.box.messages)
        if self.channel == "whatsapp":
            return len(self.gateway.requests)
        if self.channel == "file":
            return len(list((self.dir / "outbox").glob("*.eml")))
        text = output.read_text(encoding="utf-8", errors="replace") if output else ""
        return len(CONSOLE_LINE.findall(text))

    def witness(self, final_output: str = "") -> Counter:
        """Deliveries per subject, counted on the receiving side."""
        if self.channel == "smtp":
            return Counter(str(m["Subject"]) for m in self.box.messages)
        if self.channel == "whatsapp":
            return Counter(r["json"]["subject"] for r in self.gateway.deliveries.values())
        if self.channel == "file":
            return Counter(re.search(r"^Subject: (.*)$", p.read_text(), re.MULTILINE).group(1)
                           for p in (self.dir / "outbox").glob("*.eml"))
        texts = [p.read_text(encoding="utf-8", errors="replace") for p in self.outputs]
        return Counter(s for t in [*texts, final_output] for s in CONSOLE_LINE.findall(t))

    def snapshot(self) -> None:
        """Remember each .eml's inode; a changed one later is a file written twice."""
        for path in (self.dir / "outbox").glob("*.eml"):
            st = path.stat()
            seen = self.inodes.setdefault(path, (st.st_ino, st.st_mtime_ns))
            if seen != (st.st_ino, st.st_mtime_ns):
                self.rewrites += 1
                self.inodes[path] = (st.st_ino, st.st_mtime_ns)

    def trial(self, i: int, rng: random.Random, inside: InsideKill, typical: float) -> None:
        self.queue(BATCH)
        out = self.dir / f"run-{i:03d}.out"
        self.outputs.append(out)
        before = self.arrived()
        run = Run([sys.executable, "-m", "dyncrm.cli", "-c", str(self.config), "--as", "admin",
                   "outbox", "send"], self.dir, out, cli_env())
        modes = ["timed", "after", "inside"] if self.channel in ("smtp", "whatsapp") \
            else ["timed", "after", "after"]
        mode = "none" if i == 0 else rng.choice(modes)
        k = rng.randint(1, BATCH)
        if mode == "timed":
            run.kill_after(rng.uniform(0.2, 1.1) * typical)
        elif mode == "after":
            delay = rng.choice([0.0, rng.uniform(0, 0.003)])
            if self.channel == "console":
                run.kill_when(lambda: self.arrived(out), k, delay)
            else:
                run.kill_when(self.arrived, before + k, delay)
        elif mode == "inside":
            inside.arm(run, k)
        try:
            code = run.wait()
        finally:
            inside.disarm()
        self.seconds.append(run.seconds)
        self.kills[mode if code == -signal.SIGKILL else "not killed"] += 1
        if self.channel == "file":
            self.snapshot()

    def finish(self) -> dict:
        """The last, uninterrupted run; then check every message against the witness."""
        code, final, err = run_cli(["-c", str(self.config), "--as", "admin", "outbox", "send"])
        assert code == 0, err
        if self.channel == "file":
            self.snapshot()
        rows = db_rows(self.dir / "crm.db")
        seen = self.witness(final)
        listed = unknown_ids(self.config)
        status = {mid: st for mid, _, st, _, _ in rows}
        where = f"(seed {SEED}, channel {self.channel})"
        assert len(rows) == self.queued
        assert set(status.values()) <= {"sent", "unknown"}, (Counter(status.values()), where)
        assert {mid for mid, st in status.items() if st == "unknown"} == listed, where
        duplicates = {s: n for s, n in seen.items() if n > 1}
        assert not duplicates and self.rewrites == 0, (duplicates, self.rewrites, where)
        for _, subject, st, _, _ in rows:
            if st == "sent":
                assert seen[subject] == 1, (f"{subject} is marked sent, arrived {seen[subject]}"
                                            f" times", where)
            else:
                assert seen[subject] <= 1, where
        delivered_unknown = sum(1 for mid, s, st, _, _ in rows if st == "unknown" and seen[s])
        if self.channel == "whatsapp":
            assert not listed, "a channel that honours the key never leaves a message unknown"
            keys = {r["json"]["subject"]: r["headers"]["Idempotency-Key"]
                    for r in self.gateway.requests}
            assert all(keys[s] == uid for _, s, _, uid, _ in rows), where
        if self.channel == "smtp":
            ids = {str(m["Subject"]): str(m["Message-ID"]) for m in self.box.messages}
            assert all(ids[s] == f"<{uid}@example.org>" for _, s, _, uid, _ in rows if s in ids)

        # a person resends what the recipients say they did not get: it arrives once
        lost = [mid for mid, s, st, _, _ in rows if st == "unknown" and not seen[s]]
        outputs = []
        for mid in lost:
            code, out, err = run_cli(["-c", str(self.config), "--as", "admin", "outbox",
                                      "resend", str(mid)])
            assert code == 0 and f"message {mid} resent by admin and sent" in out, (out, err)
            outputs.append(out)
        after = self.witness(final + "".join(outputs))
        subjects = {mid: s for mid, s, _, _, _ in rows}
        assert all(after[subjects[mid]] == 1 for mid in lost), where
        assert all(n == 1 for n in after.values()) and len(after) == self.queued, where
        raw = self.arrived() if self.channel != "console" else sum(after.values())
        return {"channel": self.channel, "trials": sum(self.kills.values()),
                "killed": sum(n for m, n in self.kills.items() if m != "not killed"),
                "kills": dict(self.kills), "messages": self.queued,
                "interrupted hand-overs": interrupted(self.dir / "crm.db"),
                "unknown": len(listed), "unknown but delivered": delivered_unknown,
                "resent by a person": len(lost), "duplicates": 0,
                "raw posts or files": raw,
                "run seconds (median)": round(sorted(self.seconds)[len(self.seconds) // 2], 3)}


def test_outbox_send_killed_at_random_moments_never_delivers_twice(tmp_path):
    rng = random.Random(SEED)
    started = time.monotonic()
    inside = InsideKill()
    report = []
    with smtp_server() as (box, port), http_server() as (gateway, url):
        box.on_message = inside
        gateway.on_post = inside
        for channel in CHANNELS:
            series = Series(tmp_path, channel, box, port, gateway, url)
            typical = 0.0
            for i in range(TRIALS):
                series.trial(i, rng, inside, typical)
                if i == 0:
                    typical = series.seconds[0]
            report.append(series.finish())
    total = time.monotonic() - started
    print(f"\nkill test, seed {SEED}, {total:.1f} s")
    for line in report:
        print(json.dumps(line))
    assert sum(r["killed"] for r in report) >= 0.8 * (TRIALS - 1) * len(CHANNELS), report
    # the kills reached the dangerous moment, between hand-over and "sent", many times
    assert sum(r["interrupted hand-overs"] for r in report) >= len(CHANNELS), report


# --- remind run --send ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def dues_site(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("kill-dues-site")
    write_distribution(site, DUES_PACKAGE, name="dyncrm-test-dues", version="0.1",
                       entry_points={"dyncrm": {"test.dues": "dyncrm_test_dues"}},
                       summary="Due items from a JSON file (retain tests)")
    return site


REMIND_TRIALS = int(os.environ.get("DYNCRM_REMIND_KILL_TRIALS", "12"))
MEMBERS = ("A001", "A002", "A003")


def test_remind_run_send_killed_at_random_moments_never_delivers_twice(tmp_path, dues_site):
    import datetime as dt

    rng = random.Random(SEED + 1)
    inside = InsideKill()
    kills = Counter()
    with smtp_server() as (box, port), on_sys_path(dues_site, "dyncrm_test_dues"):
        box.on_message = inside
        config = write_config(tmp_path, enabled=["retain.reminders", "test.dues"],
                              notify=smtp_notify(port),
                              plugins={"test.dues": {"file": "dues.json"}})
        with open_crm(config) as crm:
            crm.upgrade()
            for n, name in zip(MEMBERS, ("Siti Aminah", "Budi Santoso", "Ani Wulandari"),
                               strict=True):
                add_member(crm, name, number=n)
            add_staff(crm, "sec", "secretary")
        items = []
        day = dt.date(2026, 3, 2)
        typical = 0.0
        for i in range(REMIND_TRIALS):
            day = dt.date(2026, 3, 2) + dt.timedelta(days=2 * i)
            items += [{"key": f"inst:{m}:{day}", "member": m, "due_on": day.isoformat(),
                       "amount": "100000", "description": f"angsuran {day}"} for m in MEMBERS]
            (tmp_path / "dues.json").write_text(json.dumps({"items": items}), encoding="utf-8")
            before = len(box.messages)
            run = Run([sys.executable, "-m", "dyncrm.cli", "-c", str(config), "--as", "sec",
                       "remind", "run", "--date", day.isoformat(), "--send"], tmp_path,
                      tmp_path / f"remind-{i:02d}.out", cli_env(dues_site))
            mode = "none" if i == 0 else rng.choice(["timed", "after", "inside"])
            if mode == "timed":
                run.kill_after(rng.uniform(0.3, 1.1) * typical)
            elif mode == "after":
                run.kill_when(lambda: len(box.messages), before + rng.randint(1, 3),
                              rng.choice([0.0, rng.uniform(0, 0.003)]))
            elif mode == "inside":
                inside.arm(run, rng.randint(1, 3))
            try:
                code = run.wait()
            finally:
                inside.disarm()
            if i == 0:
                typical = run.seconds
            kills[mode if code == -signal.SIGKILL else "not killed"] += 1

        con = sqlite3.connect(tmp_path / "crm.db")
        in_flight = con.execute("SELECT COUNT(*) FROM outbox_message WHERE status = 'sending'"
                                ).fetchone()[0]
        con.close()
        code, _, err = run_cli(["-c", str(config), "--as", "sec", "remind", "run", "--date",
                                day.isoformat(), "--send"])
        assert code == 0, err
        assert ("see: dyncrm outbox unknown" in err) == bool(in_flight), err
        listed = unknown_ids(config, "sec")
        con = sqlite3.connect(tmp_path / "crm.db")
        rows = con.execute("SELECT id, recipient, subject, status FROM outbox_message").fetchall()
        reminders = con.execute("SELECT r.item_key, r.day_offset, m.status FROM reminder r "
                                "JOIN outbox_message m ON m.id = r.message_id").fetchall()
        con.close()

    got = Counter((str(m["To"]), str(m["Subject"])) for m in box.messages)
    where = f"(seed {SEED + 1})"
    assert set(got.values()) == {1}, ([k for k, n in got.items() if n > 1], where)
    assert len(reminders) == len(rows) and {st for *_, st in reminders} <= {"sent", "unknown"}
    assert len({(k, o) for k, o, _ in reminders}) == len(reminders)  # each reminder once
    assert {mid for mid, _, _, st in rows if st == "unknown"} == listed, where
    for _, to, subject, st in rows:  # sent: arrived once; unknown: arrived at most once
        assert got[(to, subject)] == 1 if st == "sent" else got[(to, subject)] <= 1, where
    print(f"\nremind kill test, seed {SEED + 1}: "
          + json.dumps({"trials": REMIND_TRIALS, "kills": dict(kills), "reminders": len(rows),
                        "delivered": len(box.messages), "unknown": len(listed),
                        "unknown but delivered": sum(1 for _, to, s, st in rows
                                                     if st == "unknown" and got[(to, s)]),
                        "interrupted hand-overs": interrupted(tmp_path / "crm.db"),
                        "duplicates": 0}))
    assert sum(n for m, n in kills.items() if m != "not killed") >= REMIND_TRIALS // 2

