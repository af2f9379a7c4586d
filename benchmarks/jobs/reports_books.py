"""koperasi_xyz.reports: the SHU laporan (shu, pph-shu) and the financial statements
(neraca, phu, ekuitas), each against a raw-SQL floor.

- ``reports.shu``: the SHU report of 2025 while it is a draft (its amount entered, not
  approved), in a world of its own (:func:`_prepare_shu_entered`); the floor reads the
  bases and splits the pools as ``shu.compute raw`` does (``benchmarks/shu_floor.py``).
- ``reports.pph_shu``: the PPh report of 2025 once approved and posted with PPh withheld
  (15 % of shares above Rp 50.000), in a world of its own (:func:`_prepare_shu_posted`);
  the floor reads the posted shares back from the ledger (gross from the undistributed SHU,
  PPh to ``payable.tax.pph_shu``) with one grouped query.
- ``reports.neraca``, ``reports.phu``, ``reports.ekuitas``: the statements of 2025 on the
  shared Koperasi world; each floor is one grouped sum of postings per account kind,
  arranged as the statement's lines in plain Python (the chart of accounts is
  configuration, read with ``dyncrm.books.chart``).

Every pair checks that both give the same rows with the same amounts (compared through a
digest kept per world size, so PostgreSQL's are also SQLite's), and on its first run at a
size that the figures are what the world implies.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib

from harness import SAVINGS, job
from shu_floor import SHU, member_bases, split_pools
from worlds import (
    ENABLED,
    LOAN_TERM,
    PLUGINS,
    POKOK,
    Expect,
    check,
    koperasi_job,
    paid_installments,
    prepare_koperasi,
)

YEAR = 2025
YEAR_START, YEAR_END = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
SHU_POSTED_ON = dt.date(2026, 1, 15)
#: The PPh world: 15 % withheld from shares above Rp 50.000, and an SHU proportional to
#: the members (Rp 50.000 each) so that the same members are taxed at every size.
PPH_RATE, PPH_THRESHOLD, SHU_PER_MEMBER = "15", 50_000, 50_000
PPH_PLUGINS = copy.deepcopy(PLUGINS)
PPH_PLUGINS["koperasi_xyz.shu"]["years"]["2025"].update(
    pph_rate=PPH_RATE, pph_threshold=str(PPH_THRESHOLD))

#: Digest of each report's rows per (report, world size), from whichever job ran first.
ROWS: dict[tuple[str, int], str] = {}
CHECKED: set[tuple[str, int]] = set()


def same_rows(report: str, world, rows) -> None:
    """The rows of both jobs of ``report`` are identical (compared through a digest)."""
    digest = hashlib.sha256(repr(list(rows)).encode()).hexdigest()
    check(f"{report} rows identical to the other job's",
          ROWS.setdefault((report, world.n), digest), digest)


def first_time(name: str, world) -> bool:
    """True the first time job ``name`` runs at this size (the checks against the world
    run then, so that the best timed runs measure the work alone)."""
    if (name, world.n) in CHECKED:
        return False
    CHECKED.add((name, world.n))
    return True


def _section(report, heading: str):
    return next(s for s in report.sections if s.heading == heading)


# --- preparations (untimed, once per size) -----------------------------------------------


def _prepare_shu_entered(crm, world) -> None:
    """The Koperasi world with the 2025 SHU entered (Rp 500 juta), not approved: the
    SHU report is a draft computed from live data."""
    from dyncrm.money import Money
    from dyncrm.values import Actor
    from koperasi_xyz.shu.service import enter_surplus

    prepare_koperasi(crm, world)
    enter_surplus(crm, YEAR, Money.of(SHU, crm.currency), Actor.operator("benchmark"),
                  reason="benchmark: SHU tahun buku 2025")


def _prepare_shu_posted(crm, world) -> None:
    """The Koperasi world with the 2025 SHU entered, approved by the treasurer and the
    chair and posted on 15 January 2026, PPh withheld (the library's public SHU path)."""
    from dyncrm.money import Money
    from dyncrm.values import Actor
    from koperasi_xyz.shu import service

    prepare_koperasi(crm, world)
    service.enter_surplus(crm, YEAR, Money.of(SHU_PER_MEMBER * world.n, crm.currency),
                          Actor.operator("benchmark"), reason="benchmark: SHU tahun buku 2025")
    service.approve(crm, YEAR, Actor("bendahara", frozenset({"treasurer"})))
    service.approve(crm, YEAR, Actor("ketua", frozenset({"admin"})))
    service.post(crm, YEAR, Actor.operator("benchmark"), on=SHU_POSTED_ON)


# --- laporan shu (a draft) ------------------------------------------------------------------


def _shu_lines(rows) -> list[tuple]:
    return [(r["nomor"], r["nama"], str(r["modal"]), str(r["transaksi"]), r["jasa_modal"],
             r["jasa_usaha"], r["jumlah"]) for r in rows]


@job("reports.shu", enabled=ENABLED, plugins=PLUGINS, prepare=_prepare_shu_entered,
     memory_growth="linear")
def shu_report(crm, world):
    """Laporan pembagian SHU 2025, a draft: pools and every member's share."""
    from koperasi_xyz.reports import builders as report_builders

    laporan = report_builders.shu_report(crm, YEAR)
    pools = {r["alokasi"]: r["jumlah"] for r in _section(laporan, "Alokasi SHU menurut AD/ART").raw}
    members = _section(laporan, "Pembagian SHU per anggota").raw
    same_rows("shu", world, [sorted(pools.items()), *_shu_lines(members)])
    if first_time("reports.shu", world):
        e = Expect(world)
        check("members sharing", len(members), world.n)
        check("capital", sum(int(r["modal"]) for r in members), e.capital())
        check("loan interest", sum(int(r["transaksi"]) for r in members), e.interest_paid())
        check("pools", sum(pools.values()), SHU)
        check("member shares", sum(r["jumlah"] for r in members),
              pools["jasa_modal"] + pools["jasa_usaha"])


@job("reports.shu raw", enabled=ENABLED, plugins=PLUGINS, prepare=_prepare_shu_entered,
     memory_growth="linear")
def shu_report_raw(crm, world):
    """The SHU report's pools and member rows from one hand-written query (the floor)."""
    rows = member_bases(crm)
    capital = [r[3] for r in rows]
    txns = [r[4] for r in rows]
    found, jm, ju = split_pools(capital, txns)
    pools = {**found, "cadangan": SHU - sum(found.values())}
    members = [{"nomor": number, "nama": name, "modal": c, "transaksi": t,
                "jasa_modal": m, "jasa_usaha": u, "jumlah": m + u}
               for (_, number, name, c, t), m, u in zip(rows, jm, ju, strict=True)]
    same_rows("shu", world, [sorted(pools.items()), *_shu_lines(members)])
    if first_time("reports.shu raw", world):
        check("members sharing (raw)", len(members), world.n)
        check("capital (raw)", sum(capital), Expect(world).capital())


# --- laporan pph-shu (approved and posted) --------------------------------------------------


def _pph_lines(rows) -> list[tuple]:
    return [(r["nomor"], r["nama"], r["bruto"], r["pph"], r["bersih"]) for r in rows]


def _check_pph(world, rows, what: str = "") -> None:
    taxed = [r for r in rows if r["pph"]]
    check(f"members with a share{what}", len(rows), world.n)
    check(f"PPh is 15 % above the threshold{what}", sum(r["pph"] for r in rows),
          sum(r["bruto"] * 15 // 100 for r in rows if r["bruto"] > PPH_THRESHOLD))
    check(f"some members taxed, not all{what}", 0 < len(taxed) < len(rows), True)
    check(f"net{what}", sum(r["bersih"] for r in rows),
          sum(r["bruto"] - r["pph"] for r in rows))


@job("reports.pph_shu", enabled=ENABLED, plugins=PPH_PLUGINS, prepare=_prepare_shu_posted,
     memory_growth="linear")
def pph_shu_report(crm, world):
    """Laporan PPh atas SHU 2025 (approved and posted): gross, PPh and net per member."""
    from koperasi_xyz.reports import builders as report_builders

    rows = report_builders.pph_shu_report(crm, YEAR).sections[0].raw
    same_rows("pph-shu", world, _pph_lines(rows))
    if first_time("reports.pph_shu", world):
        _check_pph(world, rows)


@job("reports.pph_shu raw", enabled=ENABLED, plugins=PPH_PLUGINS, prepare=_prepare_shu_posted,
     memory_growth="linear")
def pph_shu_report_raw(crm, world):
    """The PPh report's rows read back from the posted SHU entries (the floor)."""
    rows = []
    for _, number, name, gross, tax in crm.database.execute_sql(
            "SELECT m.id, m.number, m.name, "
            "SUM(CASE WHEN a.kind = 'equity.shu_undistributed' THEN p.amount ELSE 0 END), "
            "-SUM(CASE WHEN a.kind = 'payable.tax.pph_shu' THEN p.amount ELSE 0 END) "
            "FROM journal_entry e JOIN posting p ON p.entry_id = e.id "
            "JOIN account a ON a.id = p.account_id JOIN member m ON m.id = e.member_id "
            "WHERE e.kind = 'shu.distribution' AND e.key LIKE ? "
            "GROUP BY m.id, m.number, m.name ORDER BY m.number, m.id", [f"shu:{YEAR}:%"]):
        gross, tax = int(gross), int(tax)
        rows.append({"nomor": number or f"#{_}", "nama": name, "bruto": gross, "pph": tax,
                     "bersih": gross - tax})
    same_rows("pph-shu", world, _pph_lines(rows))
    if first_time("reports.pph_shu raw", world):
        _check_pph(world, rows, " (raw)")


# --- the financial statements: neraca, phu, ekuitas ---------------------------------------


def _statement_lines(report) -> list[tuple]:
    """Every raw row of a statement: its section (if given), code, name and amounts."""
    return [tuple(int(v) if k not in ("section", "code", "name") else v
                  for k, v in row.items()) for s in report.sections for row in s.raw]


def _world_books(world) -> dict[str, int]:
    """What the world implies for the statements' main lines at the end of 2025."""
    e = Expect(world)
    months = world.months
    loans_out = sum((LOAN_TERM - paid_installments(m)) * e.installment(m)[0] for m in e.loans)
    return {"savings.sukarela": months * SAVINGS["savings.sukarela"] * world.n,
            "capital": e.capital(), "loans.principal": loans_out,
            "result": e.interest_paid(), "pokok": months * POKOK * world.n}


def _balance_rows(crm, cumulative: dict, this_year: dict) -> list[tuple]:
    """The balance sheet's raw rows from raw sums per kind (``{kind: (type, raw)}``)."""
    from dyncrm.books.chart import chart

    the_chart = chart(crm)
    by_section = _lines(crm, the_chart, cumulative, ("asset", "liability", "equity"))

    def result(sums: dict) -> int:
        return -sum(raw for kind, (type_, raw) in sums.items()
                    if the_chart.placement(kind, type_).section in ("income", "expense"))

    current = result(this_year)
    earlier = result(cumulative) - current
    rows = [("asset", *line) for line in by_section["asset"]]
    rows += [("liability", *line) for line in by_section["liability"]]
    rows += [("equity", *line) for line in by_section["equity"]]
    rows.append(("equity", the_chart.result.code, the_chart.result.name, current))
    if earlier:
        rows.append(("equity", the_chart.earlier_result.code, the_chart.earlier_result.name,
                     earlier))
    return rows


def _lines(crm, the_chart, sums: dict, sections: tuple[str, ...]) -> dict[str, list]:
    """``(code, name, amount)`` per chart line of ``sections``: every line of the chart,
    and a stand-in line for a kind in use that no line holds; amounts as the line reads."""
    lines = {line.code: line for line in the_chart.lines if line.section in sections}
    held: dict[str, int] = {}
    for kind, (type_, raw) in sums.items():
        line = the_chart.placement(kind, type_)
        if line.section in sections:
            lines.setdefault(line.code, line)
            held[line.code] = held.get(line.code, 0) + raw
    out: dict[str, list] = {s: [] for s in sections}
    for code, line in sorted(lines.items(), key=lambda kv: (not kv[1].mapped, kv[0])):
        name = line.name if line.mapped else crm.t("{kind} (not on the chart)", kind=code)
        out[line.section].append((code if line.mapped else "", name,
                                  line.natural(held.get(code, 0))))
    return out


def _check_neraca(world, rows) -> None:
    amounts = {(section, code): amount for section, code, _, amount in rows}
    want = _world_books(world)
    check("pokok", amounts[("equity", "savings.pokok")], want["pokok"])
    check("pokok + wajib", amounts[("equity", "savings.pokok")]
          + amounts[("equity", "savings.wajib")], want["capital"])
    check("sukarela", amounts[("liability", "savings.sukarela")], want["savings.sukarela"])
    check("loans outstanding", amounts[("asset", "loans.principal")], want["loans.principal"])
    check("result of the year", rows[-1][3], want["result"])
    check("balanced", sum(a for s, _, _, a in rows if s == "asset"),
          sum(a for s, _, _, a in rows if s != "asset"))


#: Ids of the entries that close income and expenses into equity between two dates
#: (as ``dyncrm.books.journal.closing_entries`` defines them), hand-written: the legs of
#: the entries with an equity leg or of a closing kind, grouped per entry.
CLOSING = ("SELECT p2.entry_id FROM posting p2 JOIN account a2 ON a2.id = p2.account_id "
           "JOIN journal_entry e2 ON e2.id = p2.entry_id "
           "WHERE p2.entry_id IN (SELECT p3.entry_id FROM posting p3 "
           "JOIN account a3 ON a3.id = p3.account_id WHERE a3.type = 'equity' "
           "UNION SELECT e3.id FROM journal_entry e3 "
           "WHERE e3.kind IN ('books.closing', 'books.closing.reversal')) "
           "AND e2.effective_date >= ? AND e2.effective_date <= ? GROUP BY p2.entry_id "
           "HAVING (SUM(CASE WHEN a2.type IN ('asset', 'liability') THEN 1 ELSE 0 END) = 0 "
           "AND SUM(CASE WHEN a2.type IN ('income', 'expense') THEN 1 ELSE 0 END) > 0 "
           "AND SUM(CASE WHEN a2.type = 'equity' THEN 1 ELSE 0 END) > 0) "
           "OR MAX(CASE WHEN e2.kind IN ('books.closing', 'books.closing.reversal') THEN 1 ELSE 0 "
           "END) = 1")


@koperasi_job("reports.neraca", memory_growth="flat")
def neraca(crm, world):
    """Neraca (balance sheet) at 31 December 2025."""
    from dyncrm.books.statements import balance_sheet

    rows = _statement_lines(balance_sheet(crm, YEAR_END, name="neraca"))
    same_rows("neraca", world, rows)
    if first_time("reports.neraca", world):
        _check_neraca(world, rows)


@koperasi_job("reports.neraca raw", memory_growth="flat")
def neraca_raw(crm, world):
    """The balance sheet from one grouped sum of postings per kind (the floor)."""
    cumulative, this_year = {}, {}
    for kind, type_, total, year in crm.database.execute_sql(
            "SELECT a.kind, a.type, SUM(p.amount), "
            "SUM(CASE WHEN e.effective_date >= ? THEN p.amount ELSE 0 END) "
            "FROM posting p JOIN account a ON a.id = p.account_id "
            "JOIN journal_entry e ON e.id = p.entry_id "
            "WHERE p.commodity = ? AND e.effective_date <= ? GROUP BY a.kind, a.type",
            [YEAR_START.isoformat(), crm.currency, YEAR_END.isoformat()]):
        cumulative[kind] = (type_, cumulative.get(kind, (0, 0))[1] + int(total))
        this_year[kind] = (type_, this_year.get(kind, (0, 0))[1] + int(year))
    rows = _balance_rows(crm, cumulative, this_year)
    same_rows("neraca", world, rows)
    if first_time("reports.neraca raw", world):
        _check_neraca(world, rows)


@koperasi_job("reports.phu", memory_growth="flat")
def phu(crm, world):
    """Perhitungan hasil usaha (income statement) of 2025."""
    from dyncrm.books.statements import income_statement

    rows = _statement_lines(income_statement(crm, YEAR_START, YEAR_END, name="phu"))
    same_rows("phu", world, rows)
    if first_time("reports.phu", world):
        check("result", rows[-1][3], _world_books(world)["result"])


@koperasi_job("reports.phu raw", memory_growth="flat")
def phu_raw(crm, world):
    """The income statement from one grouped sum of postings per kind, closing entries
    left out (the floor)."""
    from dyncrm.books.chart import chart

    since, until = YEAR_START.isoformat(), YEAR_END.isoformat()
    sums: dict[str, tuple[str, int]] = {}
    for kind, type_, total in crm.database.execute_sql(
            "SELECT a.kind, a.type, SUM(p.amount) "
            "FROM posting p JOIN account a ON a.id = p.account_id "
            "JOIN journal_entry e ON e.id = p.entry_id "
            "WHERE p.commodity = ? AND e.effective_date >= ? AND e.effective_date <= ? "
            f"AND p.entry_id NOT IN ({CLOSING}) GROUP BY a.kind, a.type",
            [crm.currency, since, until, since, until]):
        sums[kind] = (type_, sums.get(kind, (0, 0))[1] + int(total))
    by_section = _lines(crm, chart(crm), sums, ("income", "expense"))
    rows = [(s, *line) for s in ("income", "expense") for line in by_section[s]]
    result = sum(a for s, _, _, a in rows if s == "income") - sum(
        a for s, _, _, a in rows if s == "expense")
    rows.append(("result", "", crm.t("Result (income less expenses)"), result))
    same_rows("phu", world, rows)
    if first_time("reports.phu raw", world):
        check("result (raw)", result, _world_books(world)["result"])


def _check_ekuitas(world, rows) -> None:
    closing = {code: c for code, _, _, _, _, c in rows}
    want = _world_books(world)
    check("pokok + wajib", closing["savings.pokok"] + closing["savings.wajib"],
          want["capital"])
    check("result not closed", rows[-1][5], want["result"])
    check("closing = opening + additions - deductions",
          all(o + a - d == c for _, _, o, a, d, c in rows), True)


@koperasi_job("reports.ekuitas", memory_growth="flat")
def ekuitas(crm, world):
    """Laporan perubahan ekuitas (changes in equity) of 2025."""
    from dyncrm.books.statements import changes_in_equity

    rows = _statement_lines(changes_in_equity(crm, YEAR_START, YEAR_END, name="ekuitas"))
    same_rows("ekuitas", world, rows)
    if first_time("reports.ekuitas", world):
        _check_ekuitas(world, rows)


@koperasi_job("reports.ekuitas raw", memory_growth="flat")
def ekuitas_raw(crm, world):
    """Changes in equity from one grouped sum of postings per kind (the floor): the
    opening balance, the period's debits and credits, and the period's result without
    the closing entries, each a CASE of the same pass."""
    from dyncrm.books.chart import chart

    since, until = YEAR_START.isoformat(), YEAR_END.isoformat()
    sums: dict[str, list] = {}  # kind -> [type, opening, debits, credits, earned]
    for kind, type_, opening, debits, credits, earned in crm.database.execute_sql(
            "SELECT a.kind, a.type, "
            "SUM(CASE WHEN e.effective_date < ? THEN p.amount ELSE 0 END), "
            "SUM(CASE WHEN e.effective_date >= ? AND p.amount > 0 THEN p.amount ELSE 0 END), "
            "SUM(CASE WHEN e.effective_date >= ? AND p.amount < 0 THEN -p.amount ELSE 0 END), "
            "SUM(CASE WHEN e.effective_date >= ? AND c.entry_id IS NULL THEN p.amount "
            "ELSE 0 END) "
            "FROM posting p JOIN account a ON a.id = p.account_id "
            "JOIN journal_entry e ON e.id = p.entry_id "
            f"LEFT JOIN ({CLOSING}) c ON c.entry_id = p.entry_id "
            "WHERE p.commodity = ? AND e.effective_date <= ? GROUP BY a.kind, a.type",
            [since, since, since, since, since, until, crm.currency, until]):
        slot = sums.setdefault(kind, [type_, 0, 0, 0, 0])
        for i, v in enumerate((opening, debits, credits, earned), start=1):
            slot[i] += int(v)
    the_chart = chart(crm)
    lines = {line.code: line for line in the_chart.lines if line.section == "equity"}
    held: dict[str, list[int]] = {}
    results = [0, 0, 0]  # income less expenses: opening, the period's, earned (no closing)
    for kind, (type_, opening, debits, credits, earned) in sums.items():
        line = the_chart.placement(kind, type_)
        if line.section == "equity":
            lines.setdefault(line.code, line)
            slot = held.setdefault(line.code, [0, 0, 0])
            slot[0] += opening
            slot[1] += credits
            slot[2] += debits
        elif line.section in ("income", "expense"):
            results[0] -= opening
            results[1] -= debits - credits
            results[2] -= earned
    rows = []
    for code, line in sorted(lines.items(), key=lambda kv: (not kv[1].mapped, kv[0])):
        opening, additions, deductions = held.get(code, (0, 0, 0))
        name = line.name if line.mapped else crm.t("{kind} (not on the chart)", kind=code)
        opening = line.natural(opening)
        rows.append((code if line.mapped else "", name, opening, additions, deductions,
                     opening + additions - deductions))
    result_open, period, earned = results
    closed = period - earned
    additions = max(earned, 0) + max(closed, 0)
    deductions = max(-earned, 0) + max(-closed, 0)
    rows.append((the_chart.result.code, crm.t("Income less expenses, not closed"),
                 result_open, additions, deductions, result_open + additions - deductions))
    same_rows("ekuitas", world, rows)
    if first_time("reports.ekuitas raw", world):
        _check_ekuitas(world, rows)
