"""The simulated date of training and staging deployments (``dyncrm --today``).

Through the real command line on real SQLite files: refused (exit 2, nothing
written) where ``[clock] simulated`` is not set; honoured where it is, by a
savings deposit and by ``run-due``; announced on stderr by every command while
active; given by ``$DYNCRM_TODAY`` as well; bad dates refused by the core date
parser; sign-in sessions and throttling keep real time.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dyncrm.app import open_crm
from dyncrm.db.models import LoginThrottle, Member, UserSession, utcnow
from dyncrm.errors import PermissionDenied
from dyncrm.sessions import SignInLocked
from dyncrm.simclock import SimulatedClock
from dyncrm.testing import run_cli, sign_in
from dyncrm.values import Actor

TOML = """
[organisation]
name = "Koperasi Uji"
currency = "IDR"
currency_exponent = 0
locale = "id_ID"
timezone = "Asia/Jakarta"

[database]
url = "sqlite:///crm.db"

[plugins]
enabled = ["expand.savings", "expand.rewards"]

[notify]
default_channel = "file"
file_directory = "outbox"
"""
TRAINING = TOML + """
[clock]
simulated = true
label = "pelatihan kasir"
"""
BANNER = "SIMULATED DATE 2027-01-15 (pelatihan kasir)"
JAKARTA = ZoneInfo("Asia/Jakarta")


def deploy(tmp_path: Path, text: str) -> Path:
    """A deployment with a cashier (signed in) and one active member, XYZ-0001."""
    config = tmp_path / "dyncrm.toml"
    config.write_text(text, encoding="utf-8")
    code, _, err = run_cli(["-c", str(config), "db", "upgrade"])
    assert code == 0, err
    with open_crm(config) as crm:
        with crm.database.atomic():
            crm.users.add("kasir", roles=["cashier"])
        with crm.action("test.add_member", Actor.operator()):
            row = Member.create(name="Siti Aminah", number="XYZ-0001",
                                email="siti@example.org")
            crm.lifecycle.transition(row.id, "approve", Actor.operator(),
                                     on=dt.date.today() - dt.timedelta(days=40))
    sign_in(config, "kasir")
    return config


def dump(config: Path) -> list[str]:
    """Every row of the deployment's database, as SQL."""
    with sqlite3.connect(config.parent / "crm.db") as db:
        return list(db.iterdump())


def deposit(config: Path, *before: str, ref: str = "KW-1", product: str = "pokok", env=None):
    return run_cli(["-c", str(config), *before, "--as", "kasir", "savings", "deposit",
                    "XYZ-0001", product, "100000", "--method", "cash", "--ref", ref],
                   env=env)


def seconds_apart(a: dt.time, b: dt.time) -> int:
    """Seconds between two times of day, across midnight too."""
    def s(t: dt.time) -> int:
        return t.hour * 3600 + t.minute * 60 + t.second

    d = abs(s(a) - s(b))
    return min(d, 86400 - d)


def test_refused_where_the_config_does_not_allow_it(tmp_path):
    config = deploy(tmp_path, TOML)
    before = dump(config)
    code, out, err = deposit(config, "--today", "2027-01-15")
    assert code == 2
    assert f"{config} [clock.simulated]: --today 2027-01-15 was given" in err
    assert "[clock] simulated = true" in err
    assert out == "" and "SIMULATED" not in err
    code, out, err = deposit(config, env={"DYNCRM_TODAY": "2027-01-15"})
    assert code == 2 and "$DYNCRM_TODAY 2027-01-15 was given" in err and out == ""
    # even a command that opens no database
    code, _, err = run_cli(["-c", str(config), "--today", "2027-01-15", "plugins"])
    assert code == 2 and "[clock.simulated]" in err
    assert dump(config) == before
    # without it, the same deposit goes through on the real date
    code, _, err = deposit(config)
    assert code == 0 and err == ""
    assert dump(config) != before


def test_a_deposit_and_run_due_on_the_simulated_day(tmp_path):
    config = deploy(tmp_path, TRAINING)
    code, out, err = deposit(config, "--today", "2027-01-15")
    assert code == 0, err
    assert err.splitlines() == [BANNER]
    assert "posted deposit #1" in out
    with open_crm(config) as crm:
        from dyncrm_expand.savings.models import SavingsDeposit

        row = SavingsDeposit.get()
        assert row.effective_date == dt.date(2027, 1, 15)
        recorded = row.recorded_at.replace(tzinfo=dt.UTC).astimezone(JAKARTA)
        assert recorded.date() == dt.date(2027, 1, 15)
        # the date moved, the time of day is the real one
        assert seconds_apart(recorded.time(), dt.datetime.now(JAKARTA).time()) < 300
        touchpoints = [t for t in crm.timeline(row.member_id) if t.kind.startswith("savings")]
        assert touchpoints
        assert {t.at.replace(tzinfo=dt.UTC).astimezone(JAKARTA).date()
                for t in touchpoints} == {dt.date(2027, 1, 15)}
    # scheduled work runs for the simulated day: January looks back at the year before
    code, out, err = run_cli(["-c", str(config), "--today", "2027-01-15", "run-due"])
    assert code == 0 and err.splitlines() == [BANNER]
    assert "rewards.wajib_year: 0 members awarded for 2026" in out
    code, out, _ = run_cli(["-c", str(config), "--today", "2027-03-01", "run-due"])
    assert code == 0 and "rewards.wajib_year: runs in January for the year before" in out
    # run-due --date still wins over the simulated day
    code, out, _ = run_cli(["-c", str(config), "--today", "2027-03-01", "run-due",
                            "--date", "2027-01-02"])
    assert code == 0 and "awarded for 2026" in out


@pytest.mark.parametrize("args", [
    ["plugins"],
    ["db", "status"],
    ["run-due"],
    ["--as", "kasir", "whoami", "--json"],
    ["--as", "kasir", "member", "timeline", "XYZ-0001", "--json"],
    ["--as", "kasir", "savings", "balance", "XYZ-0001", "--json"],
    ["member", "--help"],
])
def test_every_command_shows_the_banner_and_json_stays_valid(tmp_path, args):
    config = deploy(tmp_path, TRAINING)
    for given_by in ("option", "env"):
        if given_by == "option":
            code, out, err = run_cli(["-c", str(config), "--today", "2027-01-15", *args])
        else:
            code, out, err = run_cli(["-c", str(config), *args],
                                     env={"DYNCRM_TODAY": "2027-01-15"})
        assert code == 0, err
        assert err.splitlines()[0] == BANNER
        assert BANNER not in out
        if "--json" in args:
            json.loads(out)


def test_the_environment_variable_moves_the_date(tmp_path):
    config = deploy(tmp_path, TRAINING)
    code, _, err = deposit(config, env={"DYNCRM_TODAY": "2027-01-15"})
    assert code == 0 and err.splitlines() == [BANNER]
    # --today wins over the environment
    code, _, err = deposit(config, "--today", "2027-01-16", ref="KW-2", product="sukarela",
                             env={"DYNCRM_TODAY": "2027-01-15"})
    assert code == 0 and err.splitlines() == ["SIMULATED DATE 2027-01-16 (pelatihan kasir)"]
    with open_crm(config):
        from dyncrm_expand.savings.models import SavingsDeposit

        days = [r.effective_date for r in SavingsDeposit.select().order_by(SavingsDeposit.id)]
    assert days == [dt.date(2027, 1, 15), dt.date(2027, 1, 16)]


@pytest.mark.parametrize(("text", "says"), [
    ("2027-02-30", "today: write the date as YYYY-MM-DD ('2027-02-30' is not a date)"),
    ("kemarin", "today: write the date as YYYY-MM-DD ('kemarin' is not a date)"),
    ("2099-01-01", "today: 2099-01-01 is too far in the future"),
    ("1950-01-01", "today: 1950-01-01 is not a plausible date"),
    ("２０２７-01-15", "today: write the date as YYYY-MM-DD"),
])
def test_bad_dates_are_refused_by_the_core_parser(tmp_path, text, says):
    config = deploy(tmp_path, TRAINING)
    before = dump(config)
    for env, extra in (({}, ["--today", text]), ({"DYNCRM_TODAY": text}, [])):
        code, out, err = deposit(config, *extra, env=env)
        assert code == 1 and says in err and out == "", err
        assert "SIMULATED" not in err
    assert dump(config) == before


def test_other_date_forms_of_the_parser_are_accepted(tmp_path):
    config = deploy(tmp_path, TRAINING)
    code, _, err = run_cli(["-c", str(config), "--today", "15/01/2027", "plugins"])
    assert code == 0 and err.splitlines()[0] == BANNER


def test_cli_sessions_keep_real_time(tmp_path):
    config = deploy(tmp_path, TRAINING)
    # months past the longest session (24 h) and back: the one session serves all
    for day in ("2027-06-01", "2025-01-02", "2027-06-01"):
        code, out, err = run_cli(["-c", str(config), "--today", day, "--as", "kasir",
                                  "whoami"], signed_in=False)
        assert code == 0, err
        assert "kasir" in out
    with open_crm(config):
        (session,) = UserSession.select()
        for at in (session.created_at, session.last_seen_at):
            assert abs(at - utcnow()) < dt.timedelta(minutes=10)
        assert session.revoked_at is None


def test_sessions_and_throttling_ignore_the_simulated_clock(make_crm):
    crm = make_crm(clock=SimulatedClock(dt.date(2027, 1, 15), JAKARTA))
    assert crm.today() == dt.date(2027, 1, 15)
    with crm.database.atomic():
        crm.users.add("kasir", roles=["cashier"], password="correct horse battery staple")
    signed = crm.sessions.login("kasir", "correct horse battery staple", channel="cli",
                                source="tests")
    real = utcnow()
    assert abs(signed.expires_at - (real + dt.timedelta(hours=8))) < dt.timedelta(minutes=5)
    # a year later by the simulated clock, the session lives on
    crm.set_clock(SimulatedClock(dt.date(2028, 1, 15), JAKARTA))
    assert crm.sessions.resume(signed.token, channel="cli").username == "kasir"
    # failed sign-ins lock for real minutes, which no simulated jump lifts
    crm.sessions._sleep = lambda seconds: None
    for _ in range(crm.config.auth.max_failures):
        with pytest.raises(PermissionDenied):
            crm.sessions.login("kasir", "wrong", channel="cli", source="tests")
    (row,) = LoginThrottle.select().where(LoginThrottle.scope == "user:kasir")
    assert abs(row.locked_until - (real + dt.timedelta(minutes=15))) < dt.timedelta(minutes=5)
    crm.set_clock(SimulatedClock(dt.date(2029, 1, 15), JAKARTA))
    with pytest.raises(SignInLocked):
        crm.sessions.login("kasir", "correct horse battery staple", channel="cli",
                           source="elsewhere")


def test_activation_codes_keep_real_time(make_crm):
    crm = make_crm(clock=SimulatedClock(dt.date(2027, 1, 15), JAKARTA))
    with crm.database.atomic():
        crm.users.add("kasir", roles=["cashier"])
        code = crm.users.issue_activation("kasir")
    expires = crm.users.get("kasir").activation_expires_at
    assert expires - utcnow() < dt.timedelta(days=30)
    crm.set_clock(SimulatedClock(dt.date(2026, 1, 15), JAKARTA))  # before it was issued
    assert crm.users.activate("kasir", code, "correct horse battery staple").username == "kasir"


@given(real=st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2090, 1, 1)),
       day=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 1, 1)),
       tz=st.sampled_from(["Asia/Jakarta", "Asia/Jayapura", "Europe/Berlin",
                           "America/Sao_Paulo"]))
def test_the_clock_keeps_the_day_and_the_time_of_day(real, day, tz):
    zone = ZoneInfo(tz)
    clock = SimulatedClock(day, zone, real=lambda: real)
    got = clock().replace(tzinfo=dt.UTC).astimezone(zone)
    assert got.date() == day
    wall = real.replace(tzinfo=dt.UTC).astimezone(zone)
    # the same wall-clock time, but where the day has a DST gap at that hour
    assert seconds_apart(got.time(), wall.time()) in (0, 3600)
    if tz.startswith("Asia"):
        assert got.time() == wall.time()


@given(first=st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 1, 1)),
       later=st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(hours=6)))
def test_events_of_one_run_keep_their_order(first, later):
    moments = iter([first, first + later])
    clock = SimulatedClock(dt.date(2027, 1, 15), JAKARTA, real=lambda: next(moments))
    a, b = clock(), clock()
    same_day = (first.replace(tzinfo=dt.UTC).astimezone(JAKARTA).date()
                == (first + later).replace(tzinfo=dt.UTC).astimezone(JAKARTA).date())
    if same_day:
        assert b - a == later


def test_printed_reports_say_the_date_is_simulated(tmp_path):
    from pdfs import pdf_text

    from dyncrm.app import CRM
    from dyncrm.testing import build_config
    from koperasi_xyz.pdf import report_pdf

    config = build_config(tmp_path, clock={"simulated": True, "label": "pelatihan kasir"})
    crm = CRM(config, clock=SimulatedClock(dt.date(2027, 1, 15), JAKARTA))
    try:
        assert crm.simulated_day == dt.date(2027, 1, 15)
        report_pdf(crm, "Laporan Uji").save(tmp_path / "sim.pdf")
        assert ("Dicetak 15 Januari 2027 (TANGGAL SIMULASI, pelatihan kasir)"
                in pdf_text(tmp_path / "sim.pdf"))
        # a clock set by a test or the demo is not a simulated date
        crm.set_clock(lambda: dt.datetime(2027, 1, 15, 3, 0))
        assert crm.simulated_day is None
        report_pdf(crm, "Laporan Uji").save(tmp_path / "real.pdf")
        text = pdf_text(tmp_path / "real.pdf")
        assert "Dicetak 15 Januari 2027" in text and "SIMULASI" not in text
    finally:
        crm.close()
