"""A Koperasi XYZ year of any size, generated through the library's public bulk paths.

    python -m benchmarks generate --members 100000 /tmp/kop100k

Creates the deployment as ``dyncrm init DIR --from koperasi_xyz`` does (its
``dyncrm.toml``, SQLite database ``koperasi-xyz.db``), then fills it with the state of
**20 December 2025**, the day the December deduction list goes to the payroll office:

- members (``dyncrm_acquire.registration.importing.import_members``): 85 % joined
  between 2010 and 2024 and were moved from the old register, 15 % joined in 2025;
  employee number, one of the configured departments, a take-home pay (unknown for
  2 %), a valid KTP NIK; their savings obligations
  (``dyncrm_expand.savings.enrolment.open_obligations``);
- savings (``crm.ledger.open_accounts`` and ``crm.ledger.post_many``): for the moved
  members an opening entry on 1 January 2025 (pokok and the wajib of every month
  since joining), for the new ones the pokok on joining; simpanan wajib by payroll
  on the 25th of every month through November (a member skips a month now and
  then, 2 % stopped paying after September); simpanan sukarela by transfer for a
  fifth of the members, a few times in the year;
- loans (``dyncrm_expand.loans.importing.import_loans``): for about 30 % of the
  members, konsumtif (flat) or multiguna (annuity), disbursed between January 2024
  and November 2025, every installment due by November repaid by payroll on its
  due date except the late payers' last one to four (8 % of the loans).

Nothing is written around the library: every rupiah goes through
``crm.ledger.post_many`` (balanced entries, idempotency keys), every row through a
plugin's public function.  Deterministic for a given ``--seed``.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

YEAR_END = dt.date(2025, 12, 20)
START = dt.date(2025, 1, 1)
#: Paydays of 2025 whose payroll is confirmed by 20 December.
PAYDAYS = tuple(dt.date(2025, m, 25) for m in range(1, 12))
WAJIB, POKOK = 50_000, 100_000  # Koperasi XYZ's dyncrm.toml
PROVINCE_REGENCY = ("3171", "3173", "3174", "3275", "3276", "3603", "3216")
ACTOR_NAME = "generator"


@dataclass
class Summary:
    """What was generated, and how long each part took (seconds)."""

    directory: Path
    members: int = 0
    loans: int = 0
    entries: int = 0
    postings: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _nik(rng: random.Random, serial: int) -> str:
    """A KTP NIK of someone born 1965-2003 (women add 40 to the day)."""
    born = dt.date(rng.randint(1965, 2003), rng.randint(1, 12), rng.randint(1, 28))
    day = born.day + (40 if rng.random() < 0.45 else 0)
    return (f"{rng.choice(PROVINCE_REGENCY)}{rng.randint(1, 40):02d}{day:02d}"
            f"{born.month:02d}{born.year % 100:02d}{serial % 9999 + 1:04d}")


def people(n: int, rng: random.Random, departments: tuple[str, ...]):
    """The members to import (``MemberImport``), numbered by year of joining."""
    from dyncrm_acquire.registration.importing import MemberImport

    first = ("Agus", "Budi", "Citra", "Dewi", "Eko", "Fitri", "Gita", "Hendra", "Indah",
             "Joko", "Kartika", "Lestari", "Made", "Nur", "Putri", "Rahmat", "Sari", "Tono",
             "Wahyu", "Yuni")
    last = ("Santoso", "Wijaya", "Rahayu", "Saputra", "Lestari", "Nugroho", "Kusuma",
            "Hidayat", "Siregar", "Simanjuntak", "Pratama", "Setiawan", "Halim", "Putra")
    seq: dict[int, int] = {}
    out = []
    for i in range(n):
        if rng.random() < 0.85:
            joined = dt.date(rng.randint(2010, 2024), rng.randint(1, 12), rng.randint(1, 28))
        else:
            joined = dt.date(2025, rng.randint(2, 11), rng.randint(1, 28))
        seq[joined.year] = seq.get(joined.year, 0) + 1
        thp = None if rng.random() < 0.02 else rng.randrange(4_500_000, 25_000_000, 50_000)
        out.append(MemberImport(
            number=f"XYZ-{joined.year}-{seq[joined.year]:05d}",
            name=f"{rng.choice(first)} {rng.choice(last)}", nik=_nik(rng, i),
            joined_on=joined, employee_number=f"K{i + 1:07d}",
            department=rng.choice(departments), take_home_pay=thp,
            email=f"anggota{i + 1}@karyawan-xyz.co.id"))
    return out


def generate(directory: Path, members: int, *, seed: int = 2025, force: bool = False,
             progress: Callable[[str], None] = lambda step: None) -> Summary:
    """Create the deployment in ``directory`` and generate its year (see the module
    docstring); returns what was made and the time of each step."""
    from dyncrm.app import open_crm
    from dyncrm.errors import DyncrmError
    from dyncrm.files import ensure_folder, write_atomic

    target = ensure_folder(directory)
    config_path = target / "dyncrm.toml"
    if config_path.exists() and not force:
        raise DyncrmError(f"{config_path} exists; use --force to replace the deployment")
    for stale in target.glob("koperasi-xyz.db*"):
        stale.unlink()
    write_atomic(config_path, (files("koperasi_xyz") / "dyncrm.toml").read_text("utf-8"))
    summary = Summary(directory=target)
    rng = random.Random(seed)
    clock = time.perf_counter()

    def step(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        summary.seconds[name] = now - clock
        clock = now
        progress(name)

    with open_crm(config_path) as crm:
        crm.upgrade()
        step("schema")
        _generate(crm, members, rng, summary, step)
        crm.database.execute_sql("ANALYZE")
        step("analyze")
    return summary


def _generate(crm, n: int, rng: random.Random, summary: Summary, step) -> None:
    from dyncrm.ledger import EntrySpec
    from dyncrm.values import Actor, Leg
    from dyncrm_acquire.registration.applications import settings as registration_settings
    from dyncrm_acquire.registration.importing import import_members
    from dyncrm_expand.loans.importing import LoanImport, import_loans
    from dyncrm_expand.savings.common import money_account, product_name
    from dyncrm_expand.savings.enrolment import open_obligations

    actor = Actor.operator(ACTOR_NAME)
    from dyncrm.money import from_minor

    exponent = crm.ledger.exponent(crm.currency)

    def money(units: int):
        return from_minor(units, crm.currency, exponent)

    def post(entries: list) -> None:
        summary.entries += len(entries)
        summary.postings += sum(len(e.legs) for e in entries)
        crm.ledger.post_many(entries)

    # -- members ------------------------------------------------------------------------
    persons = people(n, rng, registration_settings(crm).departments or ("Umum",))
    with crm.action("generate.members", actor):
        ids = import_members(crm, actor, persons)
        joined = {m: p.joined_on for m, p in zip(ids, persons, strict=True)}
        open_obligations(crm, joined)
    summary.members = len(ids)
    step("members")

    # -- savings accounts, opening balances and pokok ----------------------------------
    with crm.action("generate.savings", actor):
        bank = money_account(crm, "payroll")
        accounts = {p: crm.ledger.open_accounts(f"savings.{p}", ids, type="liability",
                                                name=f"{product_name(crm, p)} m{{member_id}}")
                    for p in ("pokok", "wajib", "sukarela")}
        opening = []
        for m in ids:
            day = joined[m]
            if day < START:
                months = _month_index(START) - _month_index(day)
                units = POKOK + months * WAJIB
                opening.append(EntrySpec(
                    legs=(Leg(bank, money(units)),
                          Leg(accounts["pokok"][m], -money(POKOK)),
                          Leg(accounts["wajib"][m], -money(months * WAJIB))),
                    kind="savings.opening_balance", actor=ACTOR_NAME,
                    key=f"opening:2025:{m}", memo="Saldo awal 1 Januari 2025 (migrasi)",
                    on=START, member_id=m, meta={"products": ["pokok", "wajib"]}))
            else:
                opening.append(_deposit(m, "pokok", POKOK, day, "cash", bank,
                                        accounts, money, key=f"pokok:{m}"))
        post(opening)
    step("opening balances and pokok")

    # -- wajib by payroll, every payday through November --------------------------------
    stopped = {m for m in ids if rng.random() < 0.02}
    for payday in PAYDAYS:
        entries = []
        for m in ids:
            if joined[m] > payday or (m in stopped and payday.month > 9):
                continue
            if rng.random() < 0.03:  # skipped this month (unpaid leave, a payroll error)
                continue
            entries.append(_deposit(m, "wajib", WAJIB, payday, "payroll", bank, accounts,
                                    money, key=f"payroll:gen-{payday:%Y-%m}:{m}:wajib"))
        with crm.action("generate.wajib", actor):
            post(entries)
    step("wajib, 11 paydays")

    # -- sukarela by transfer ----------------------------------------------------------
    entries = []
    for m in ids:
        if rng.random() >= 0.2:
            continue
        for payday in rng.sample(PAYDAYS, rng.randint(1, 6)):
            day = payday - dt.timedelta(days=rng.randint(0, 20))
            if day >= joined[m]:
                entries.append(_deposit(m, "sukarela", rng.randrange(100_000, 2_000_000, 50_000),
                                        day, "transfer", bank, accounts, money,
                                        key=f"transfer:gen-{day}:{m}"))
    with crm.action("generate.sukarela", actor):
        post(entries)
    step("sukarela")

    # -- loans ----------------------------------------------------------------------------
    loans = []
    last_paid = _month_index(PAYDAYS[-1])
    for m in ids:
        if rng.random() >= 0.3:
            continue
        annuity = rng.random() < 0.2
        first = max(_month_index(dt.date(2024, 1, 1)), _month_index(joined[m]) + 3)
        if first > last_paid - 1:
            continue
        month = rng.randint(first, last_paid - 1)
        disbursed = dt.date(month // 12, month % 12 + 1, rng.randint(1, 20))
        left = last_paid - month  # installments due by November (the first the next month)
        terms = [t for t in ((24, 36, 48, 60) if annuity else (12, 18, 24, 36)) if t > left]
        if not terms:
            continue
        late = rng.randint(1, 4) if rng.random() < 0.08 else 0
        loans.append(LoanImport(
            member_id=m, product="multiguna" if annuity else "konsumtif",
            amount=rng.randrange(10_000_000, 60_000_000, 1_000_000) if annuity
            else rng.randrange(2_000_000, 20_000_000, 500_000),
            term=rng.choice(terms), disbursed_on=disbursed,
            reference=f"PK-{disbursed:%Y%m}-{m}", paid=max(left - late, 0)))
    with crm.action("generate.loans", actor):
        before = _counts(crm)
        import_loans(crm, actor, loans, on=YEAR_END)
        after = _counts(crm)
    summary.loans = len(loans)
    summary.entries += after[0] - before[0]
    summary.postings += after[1] - before[1]
    step("loans")


def _counts(crm) -> tuple[int, int]:
    db = crm.database
    return tuple(db.execute_sql(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                 for t in ("journal_entry", "posting"))


def _deposit(member_id: int, product: str, units: int, on: dt.date, method: str, bank: str,
             accounts: dict, money, *, key: str):
    """The ledger entry ``savings.deposit`` writes for one deposit (key ``deposit:<ref>``)."""
    from dyncrm.ledger import EntrySpec
    from dyncrm.values import Leg

    return EntrySpec(
        legs=(Leg(bank, money(units)), Leg(accounts[product][member_id], -money(units))),
        kind="savings.deposit", actor=ACTOR_NAME, key=f"deposit:{key}",
        memo=f"Simpanan {product} ({method}) ref {key}", on=on, member_id=member_id,
        meta={"product": product, "method": method})


def main(directory: Path, *, members: int, seed: int = 2025, force: bool = False) -> None:
    """``python -m benchmarks generate``: generate and print what was made and its times."""
    import click

    started = time.perf_counter()
    summary = generate(directory, members, seed=seed, force=force,
                       progress=lambda name: click.echo(
                           f"  {name:<28} {time.perf_counter() - started:7.1f}s", err=True))
    took = time.perf_counter() - started
    click.echo(f"Koperasi XYZ on {YEAR_END}: {summary.members:,} members, "
               f"{summary.loans:,} loans, {summary.entries:,} ledger entries "
               f"({summary.postings:,} postings) in {took:.0f}s "
               f"({summary.postings / took:,.0f} postings/s overall)")
    click.echo(f"  database {summary.directory / 'koperasi-xyz.db'}; try: "
               f"cd {summary.directory} && dyncrm laporan --help")
