"""The SHU report (laporan pembagian SHU) and a member's SHU slip, in Indonesian.

Rows for the terminal and PDF carry amounts as ``Rp 1.250.000``; CSV rows carry
whole minor units so a spreadsheet can add them up.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dyncrm.reports import ReportColumn as Column

from ..fmt import persen, rupiah, rupiah_texts, tanggal
from ..laporan import Laporan, Section, write_pdf
from .bases import year_bounds
from .calc import MemberShare, fraction_text
from .rules import MEMBER_POOLS, MEMBER_SHARE, RESERVE, pool_label
from .service import Draft, year_row

if TYPE_CHECKING:
    from dyncrm.app import CRM

STATUS_ID = {"draft": "DRAF — dihitung dari data saat ini, belum disetujui",
             "approved": "Disetujui (terkunci), belum dibukukan",
             "posted": "Disetujui dan dibukukan"}


BASIS_ID = {"interest": "jasa pinjaman yang dibayar dalam tahun buku",
            "principal": "pokok pinjaman yang dicairkan dalam tahun buku",
            "purchases": "pembelian anggota dalam tahun buku"}


def basis_text(rules: dict) -> tuple[str, str]:
    """Indonesian description of the jasa modal and jasa usaha bases."""
    capital = "simpanan pokok + wajib" + (" + sukarela" if rules.get("capital_sukarela") else "")
    capital += (", rata-rata saldo akhir bulan" if rules.get("capital_average") == "monthly"
                else ", saldo akhir tahun")
    if rules.get("units"):
        txn = "per unit usaha: " + "; ".join(
            f"{unit_label(rules, u)} {persen(v['percent'])} ({BASIS_ID[v['basis']]})"
            for u, v in rules["units"].items())
    else:
        txn = BASIS_ID["interest" if rules.get("transactions") == "interest" else "principal"]
    return capital, txn


def unit_label(rules: dict, unit: str) -> str:
    """A business unit's label as configured, else its name."""
    return (rules.get("units", {}).get(unit, {}).get("label") or
            "Unit " + unit.replace("_", " "))


def rounding_text(crm: CRM, draft: Draft) -> str | None:
    """What the rounding convention did, in Indonesian (``None`` for largest remainder)."""
    dist = draft.distribution
    if draft.rules.get("rounding") != "truncate":
        return None
    pool = draft.rules.get("rounding_pool", RESERVE)
    return (f"bagian setiap anggota dibulatkan ke bawah ke rupiah; sisa "
            f"{rupiah(crm, dist.truncation_leftover, draft.currency)} dimasukkan ke "
            f"{pool_label(pool).lower()}")


def tax_text(crm: CRM, draft: Draft) -> str | None:
    """The PPh rule of the year, in Indonesian (``None`` when no PPh is withheld)."""
    rate = draft.rules.get("pph_rate")
    if not rate:
        return None
    threshold = Decimal(draft.rules.get("pph_threshold", "0"))
    exp = crm.ledger.exponent(draft.currency)
    above = (f" dari bagian SHU di atas {rupiah(crm, int(threshold * 10 ** exp), draft.currency)}"
             if threshold else " dari setiap bagian SHU")
    return f"PPh {persen(rate)}{above} (dari seluruh bagian), dipotong dan disetor koperasi"


def pct_of_total(rules: dict, name: str) -> Decimal | None:
    """An allocation's percentage of the whole SHU (``None``: the rest, the reserve)."""
    pct = rules["percentages"]
    if name in pct:
        return Decimal(str(pct[name]))
    if name in MEMBER_POOLS and rules.get("convention") == "member_share":
        value = Decimal(pct[MEMBER_SHARE]) * Decimal(rules["member_split"][name]) / 100
        return value
    return None


def _pct_of_total(rules: dict, name: str) -> str:
    value = pct_of_total(rules, name)
    return "-" if value is None else persen(value)


def account_of(name: str) -> str:
    """The ledger account an allocation is posted to."""
    if name == RESERVE:
        return "equity.reserve"
    if name in MEMBER_POOLS:
        return "anggota"
    return f"equity.fund.{name}"


def pool_rows(crm: CRM, draft: Draft) -> list[dict[str, Any]]:
    """One row per allocation: label, percentage, amount, account."""
    dist = draft.distribution
    rows = [{"alokasi": pool_label(name), "persen": _pct_of_total(draft.rules, name),
             "jumlah": rupiah(crm, units, draft.currency), "akun": account_of(name),
             "units": units, "name": name}
            for name, units in dist.pools.items()]
    return rows


def member_columns(draft: Draft) -> list[str]:
    """The member table's columns: a jasa usaha column per business unit when the year
    has units, PPh and net when PPh is withheld."""
    units = [f"ju_{u}" for u in draft.rules.get("units", {})]
    taxed = ["pph", "bersih"] if draft.rules.get("pph_rate") else []
    return ["nomor", "nama", "modal", "transaksi", "jasa_modal", *units, "jasa_usaha",
            "jumlah", *taxed]


def member_rows(crm: CRM, draft: Draft) -> list[dict[str, Any]]:
    """One row per eligible member, amounts formatted."""
    money = rupiah_texts(crm, draft.currency)
    units = list(draft.rules.get("units", {}))
    taxed = bool(draft.rules.get("pph_rate"))
    rows = []
    for i, m in enumerate(draft.distribution.members, start=1):
        row = {"no": i, "nomor": m.number, "nama": m.name,
               "modal": money(m.capital), "transaksi": money(m.transactions),
               "jasa_modal": money(m.jasa_modal),
               **{f"ju_{u}": money(m.units.get(u, (0, 0))[1]) for u in units},
               "jasa_usaha": money(m.jasa_usaha), "jumlah": money(m.total)}
        if taxed:
            row.update(pph=money(m.tax), bersih=money(m.net))
        rows.append(row)
    return rows


CSV_COLUMNS = ["nomor", "nama", "modal", "transaksi", "jasa_modal", "jasa_usaha", "jumlah"]


def csv_columns(draft: Draft) -> list[str]:
    """CSV columns: per business unit its transactions and jasa usaha, PPh and net."""
    units = [c for u in draft.rules.get("units", {}) for c in (f"transaksi_{u}", f"ju_{u}")]
    taxed = ["pph", "bersih"] if draft.rules.get("pph_rate") else []
    return ["nomor", "nama", "modal", "transaksi", "jasa_modal", *units, "jasa_usaha",
            "jumlah", *taxed]


def csv_rows(draft: Draft) -> list[dict[str, Any]]:
    """Member rows for CSV: whole minor units; an averaged capital as an exact fraction."""
    units = list(draft.rules.get("units", {}))
    taxed = bool(draft.rules.get("pph_rate"))
    rows = []
    for m in draft.distribution.members:
        row = {"nomor": m.number, "nama": m.name, "modal": fraction_text(m.capital),
               "transaksi": fraction_text(m.transactions), "jasa_modal": m.jasa_modal}
        for u in units:
            w, x = m.units.get(u, (0, 0))
            row[f"transaksi_{u}"], row[f"ju_{u}"] = fraction_text(w), x
        row.update(jasa_usaha=m.jasa_usaha, jumlah=m.total)
        if taxed:
            row.update(pph=m.tax, bersih=m.net)
        rows.append(row)
    return rows


def unit_rows(crm: CRM, draft: Draft) -> list[dict[str, Any]]:
    """One row per business unit: its share of the jasa usaha pool and its basis."""
    dist, cur = draft.distribution, draft.currency
    rows = []
    for unit, info in draft.rules.get("units", {}).items():
        paid, weight = dist.units.get(unit, (0, 0))
        rows.append({"unit": unit_label(draft.rules, unit), "dasar": BASIS_ID[info["basis"]],
                     "persen": persen(info["percent"]), "transaksi": rupiah(crm, weight, cur),
                     "jumlah": rupiah(crm, paid, cur), "name": unit, "units": paid,
                     "weight": weight})
    return rows


def summary_pairs(crm: CRM, draft: Draft) -> list[tuple[str, str]]:
    """The report's summary lines."""
    dist = draft.distribution
    capital, txn = basis_text(draft.rules)
    _, end = year_bounds(dist.year)
    pairs = [
        ("Tahun buku", f"{dist.year} (tutup buku {tanggal(crm, end)})"),
        ("Status", STATUS_ID.get(draft.status, draft.status)),
        ("SHU tahun buku", rupiah(crm, dist.total, draft.currency)),
        ("Anggota yang berhak", str(len(dist.members))),
        ("Dasar jasa modal", capital),
        ("Total modal anggota", rupiah(crm, dist.capital_total, draft.currency)),
        ("Dasar jasa usaha", txn),
        ("Total transaksi anggota", rupiah(crm, dist.transactions_total, draft.currency)),
        ("Dibagikan ke anggota", rupiah(crm, dist.members_total, draft.currency)),
        ("Pembayaran", "ke simpanan sukarela" if draft.rules.get("payout") == "sukarela"
         else "tunai (utang SHU)"),
    ]
    rounding = rounding_text(crm, draft)
    if rounding:
        pairs.append(("Pembulatan", rounding))
    tax = tax_text(crm, draft)
    if tax:
        pairs += [("PPh atas SHU", tax),
                  ("PPh dipotong", rupiah(crm, dist.tax_total, draft.currency)),
                  ("Diterima anggota (bersih)",
                   rupiah(crm, dist.members_total - dist.tax_total, draft.currency))]
    if draft.rules.get("decision"):
        pairs.append(("Dasar keputusan", draft.rules["decision"]))
    row = year_row(dist.year)
    if row is not None and row.rat_date:
        pairs.append(("Tanggal RAT", tanggal(crm, row.rat_date)))
    if row is not None and row.posted_on:
        pairs.append(("Dibukukan", tanggal(crm, row.posted_on)))
    return pairs


def summary_values(draft: Draft) -> list[tuple[str, Any]]:
    """The plain values of the summary lines that are figures (whole rupiah, counts; an
    averaged total as an exact fraction), by label, for the summary CSV."""
    dist = draft.distribution

    def plain(value: int | Any) -> int | str:
        return fraction_text(value) if getattr(value, "denominator", 1) != 1 else int(value)

    return [("Tahun buku", dist.year), ("SHU tahun buku", dist.total),
            ("Anggota yang berhak", len(dist.members)),
            ("Total modal anggota", plain(dist.capital_total)),
            ("Total transaksi anggota", plain(dist.transactions_total)),
            ("Dibagikan ke anggota", dist.members_total), ("PPh dipotong", dist.tax_total),
            ("Diterima anggota (bersih)", dist.members_total - dist.tax_total),
            ("Anggota dipotong PPh", sum(1 for m in dist.members if m.total and m.tax)),
            ("SHU bruto anggota", dist.members_total)]


POOL_COLUMNS = [Column("alokasi", "Alokasi", width=2.2), Column("persen", "Persen", "R", 0.8),
                Column("jumlah", "Jumlah", "R", 1.4), Column("akun", "Akun", width=1.6)]
UNIT_COLUMNS = [Column("unit", "Unit usaha", width=1.8), Column("dasar", "Dasar", width=2.6),
                Column("persen", "Persen JU", "R", 0.9),
                Column("transaksi", "Total transaksi", "R", 1.4),
                Column("jumlah", "Jasa usaha", "R", 1.3)]
MEMBER_COLUMNS = [Column("no", "No", "R", 0.45), Column("nomor", "Nomor", width=1.3),
                  Column("nama", "Nama", width=2.2), Column("modal", "Modal", "R", 1.25),
                  Column("transaksi", "Transaksi", "R", 1.15),
                  Column("jasa_modal", "Jasa modal", "R", 1.15),
                  Column("jasa_usaha", "Jasa usaha", "R", 1.15),
                  Column("jumlah", "Jumlah SHU", "R", 1.2)]


def shu_laporan(crm: CRM, draft: Draft) -> Laporan:
    """The SHU report as a :class:`~koperasi_xyz.laporan.Laporan` (terminal, CSV, PDF)."""
    dist = draft.distribution
    cur = draft.currency
    notes = []
    if dist.rounding_to_reserve:
        notes.append(f"sisa pembulatan {rupiah(crm, dist.rounding_to_reserve, cur)} "
                     "ditambahkan ke dana cadangan")
    notes.extend(dist.notes)
    m = dist.members
    units = draft.rules.get("units", {})
    member_cols = list(MEMBER_COLUMNS[:6]) + [
        Column(f"ju_{u}", f"JU {unit_label(draft.rules, u)}", "R", 1.15) for u in units] + \
        list(MEMBER_COLUMNS[6:])
    totals = {"nama": "Jumlah", "modal": rupiah(crm, dist.capital_total, cur),
              "transaksi": rupiah(crm, dist.transactions_total, cur),
              "jasa_modal": rupiah(crm, sum(x.jasa_modal for x in m), cur),
              "jasa_usaha": rupiah(crm, sum(x.jasa_usaha for x in m), cur),
              "jumlah": rupiah(crm, dist.members_total, cur),
              **{f"ju_{u}": rupiah(crm, dist.units.get(u, (0, 0))[0], cur) for u in units}}
    if draft.rules.get("pph_rate"):
        member_cols += [Column("pph", "PPh", "R", 1.0), Column("bersih", "Diterima", "R", 1.2)]
        totals.update(pph=rupiah(crm, dist.tax_total, cur),
                      bersih=rupiah(crm, dist.members_total - dist.tax_total, cur))
    unit_section = () if not units else (Section(
        heading="Jasa usaha per unit usaha", columns=tuple(UNIT_COLUMNS),
        rows=tuple({k: r[k] for k in ("unit", "dasar", "persen", "transaksi", "jumlah")}
                   for r in unit_rows(crm, draft)),
        raw=tuple({"unit": r["name"], "dasar": units[r["name"]]["basis"],
                   "persen": units[r["name"]]["percent"],
                   "transaksi": fraction_text(r["weight"]), "jumlah": r["units"]}
                  for r in unit_rows(crm, draft)),
        totals={"unit": "Jumlah", "jumlah": rupiah(crm, sum(p for p, _ in dist.units.values()),
                                                   cur)}, summary=True),)
    return Laporan(
        name="shu", title=f"Laporan Pembagian SHU Tahun Buku {dist.year}",
        subtitle=STATUS_ID.get(draft.status, draft.status),
        columns=tuple(member_cols),
        sections=(
            Section(heading="Alokasi SHU menurut AD/ART", columns=tuple(POOL_COLUMNS),
                    rows=tuple({k: r[k] for k in ("alokasi", "persen", "jumlah", "akun")}
                               for r in pool_rows(crm, draft)),
                    raw=tuple({"alokasi": r["name"],
                               "persen": pct_of_total(draft.rules, r["name"]),
                               "jumlah": r["units"], "akun": r["akun"]}
                              for r in pool_rows(crm, draft)),
                    totals={"alokasi": "Jumlah", "persen": "100%",
                            "jumlah": rupiah(crm, dist.total, cur)}, summary=True),
            *unit_section,
            Section(heading="Pembagian SHU per anggota", rows=tuple(member_rows(crm, draft)),
                    raw=tuple(csv_rows(draft)), totals=totals)),
        summary=tuple(summary_pairs(crm, draft)), summary_values=tuple(summary_values(draft)),
        notes=tuple(notes), landscape=True,
        signatures=(("Bendahara", ""), ("Ketua", "")))


def distribution_sentence(crm: CRM, draft: Draft) -> str:
    """How the whole SHU of the year was divided: the members' pools, to how many
    members, and the rest to the reserve and funds (for the slip)."""
    dist, cur = draft.distribution, draft.currency
    jm, ju = dist.pools.get("jasa_modal", 0), dist.pools.get("jasa_usaha", 0)
    sharing = sum(1 for m in dist.members if m.total)
    rest = dist.total - jm - ju
    funds = ", ".join(pool_label(n).lower() for n, u in dist.pools.items()
                      if n not in MEMBER_POOLS and u)
    text = (f"SHU tahun buku {dist.year} seluruhnya {rupiah(crm, dist.total, cur)}. Bagian "
            f"anggota — jasa modal {rupiah(crm, jm, cur)} dan jasa usaha "
            f"{rupiah(crm, ju, cur)}, jumlah {rupiah(crm, jm + ju, cur)} — dibagikan kepada "
            f"{sharing} anggota")
    if rest:
        text += f"; sisanya {rupiah(crm, rest, cur)} untuk {funds}"
    return text + ", sesuai AD/ART dan keputusan Rapat Anggota Tahunan."


PPH_COLUMNS = [Column("no", "No", "R", 0.45), Column("nomor", "Nomor", width=1.4),
               Column("nama", "Nama", width=2.6), Column("bruto", "SHU bruto", "R", 1.4),
               Column("pph", "PPh dipotong", "R", 1.3), Column("bersih", "Diterima", "R", 1.4)]


def pph_laporan(crm: CRM, draft: Draft) -> Laporan:
    """Laporan PPh atas SHU: per member the gross share, the PPh withheld and the net.

    Every member with a share is listed (those below the threshold with PPh 0),
    so the totals agree with the SHU report; once posted, the PPh total is what
    ``payable.tax.pph_shu`` received for the year.
    """
    dist, cur = draft.distribution, draft.currency
    shares = [m for m in dist.members if m.total]
    money = rupiah_texts(crm, cur)
    shown, kept = [], []
    for i, m in enumerate(shares, start=1):
        gross, tax = m.jasa_modal + m.jasa_usaha, m.tax
        shown.append({"no": i, "nomor": m.number, "nama": m.name, "bruto": money(gross),
                      "pph": money(tax), "bersih": money(gross - tax)})
        kept.append({"nomor": m.number, "nama": m.name, "bruto": gross, "pph": tax,
                     "bersih": gross - tax})
    rows, raw = tuple(shown), tuple(kept)
    rule = tax_text(crm, draft) or "tidak ada PPh yang dipotong (pph_rate = 0)"
    summary = [("Tahun buku", str(dist.year)), ("Status", STATUS_ID.get(draft.status,
                                                                       draft.status)),
               ("Ketentuan", rule),
               ("Anggota dipotong PPh", str(sum(1 for m in shares if m.tax))),
               ("SHU bruto anggota", rupiah(crm, dist.members_total, cur)),
               ("PPh dipotong", rupiah(crm, dist.tax_total, cur)),
               ("Diterima anggota (bersih)", rupiah(crm, dist.members_total - dist.tax_total,
                                                    cur)),
               ("Rekening", "payable.tax.pph_shu (utang PPh SHU, disetor ke kas negara)")]
    return Laporan(
        name="pph-shu", title=f"Laporan PPh atas SHU Anggota Tahun Buku {dist.year}",
        subtitle=STATUS_ID.get(draft.status, draft.status), columns=tuple(PPH_COLUMNS),
        sections=(Section(rows=rows, raw=raw, totals={
            "nama": "Jumlah", "bruto": rupiah(crm, dist.members_total, cur),
            "pph": rupiah(crm, dist.tax_total, cur),
            "bersih": rupiah(crm, dist.members_total - dist.tax_total, cur)}),),
        summary=tuple(summary), summary_values=tuple(summary_values(draft)),
        notes=("Tarif dan batas PPh adalah pengaturan (pph_rate, pph_threshold); periksa "
               "ketentuan pajak yang berlaku.",),
        signatures=(("Bendahara", ""),))


def report_pdf_file(crm: CRM, draft: Draft, path: str | Path) -> Path:
    """Write the SHU report as a printable PDF."""
    return write_pdf(crm, shu_laporan(crm, draft), path)


def slip_pdf_file(crm: CRM, draft: Draft, line: MemberShare, path: str | Path) -> Path:
    """Write one member's SHU slip (statement) as a PDF, with the arithmetic shown."""
    from ..pdf import report_pdf  # fpdf (numpy, fontTools) only when a PDF is made

    dist = draft.distribution
    cur = draft.currency
    pdf = report_pdf(crm, f"Slip SHU Anggota — Tahun Buku {dist.year}",
                     STATUS_ID.get(draft.status, draft.status))
    if not draft.locked:
        pdf.set_text_color(200, 40, 40)
        pdf.font(11, bold=True)
        pdf.cell(0, 7, pdf.t("DRAF — angka dapat berubah sampai disetujui setelah RAT"),
                 new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    pdf.heading("Anggota")
    pdf.pairs([("Nomor anggota", line.number), ("Nama", line.name)])
    capital_basis, txn_basis = basis_text(draft.rules)
    truncate = draft.rules.get("rounding") == "truncate"
    how = "dibulatkan ke bawah ke rupiah" if truncate \
        else "dibulatkan ke rupiah (sisa terbesar)"
    pdf.heading("Jasa modal")
    jm_pool = dist.pools.get("jasa_modal", 0)
    pdf.pairs([
        ("Dasar", capital_basis),
        ("Modal Anda", rupiah(crm, line.capital, cur)),
        ("Total modal anggota", rupiah(crm, dist.capital_total, cur)),
        ("Dana jasa modal", rupiah(crm, jm_pool, cur)),
        ("Jasa modal Anda", rupiah(crm, line.jasa_modal, cur)),
    ])
    pdf.paragraph(f"Jasa modal = dana jasa modal × modal Anda ÷ total modal anggota, {how}.",
                  size=8)
    units = draft.rules.get("units", {})
    if units:
        for unit, info in units.items():
            mine, paid = line.units.get(unit, (0, 0))
            unit_paid, unit_total = dist.units.get(unit, (0, 0))
            pdf.heading(f"Jasa usaha — {unit_label(draft.rules, unit)}")
            pdf.pairs([
                ("Dasar", f"{BASIS_ID[info['basis']]} ({persen(info['percent'])} dana jasa "
                          "usaha)"),
                ("Transaksi Anda", rupiah(crm, mine, cur)),
                ("Total transaksi anggota", rupiah(crm, unit_total, cur)),
                ("Dana jasa usaha unit", rupiah(crm, unit_paid, cur)),
                ("Jasa usaha Anda", rupiah(crm, paid, cur)),
            ])
        pdf.paragraph(f"Jasa usaha setiap unit = dana jasa usaha unit × transaksi Anda di unit "
                      f"itu ÷ total transaksi anggota di unit itu, {how}. Jasa usaha Anda "
                      f"seluruhnya {rupiah(crm, line.jasa_usaha, cur)}.", size=8)
    else:
        pdf.heading("Jasa usaha")
        ju_pool = dist.pools.get("jasa_usaha", 0)
        pdf.pairs([
            ("Dasar", txn_basis),
            ("Transaksi Anda", rupiah(crm, line.transactions, cur)),
            ("Total transaksi anggota", rupiah(crm, dist.transactions_total, cur)),
            ("Dana jasa usaha", rupiah(crm, ju_pool, cur)),
            ("Jasa usaha Anda", rupiah(crm, line.jasa_usaha, cur)),
        ])
        pdf.paragraph(f"Jasa usaha = dana jasa usaha × transaksi Anda ÷ total transaksi "
                      f"anggota, {how}.", size=8)
    pdf.heading("Jumlah")
    payout = ("dikreditkan ke simpanan sukarela Anda" if draft.rules.get("payout") == "sukarela"
              else "dibayarkan tunai")
    lines = [("SHU Anda", rupiah(crm, line.total, cur))]
    tax = tax_text(crm, draft)
    if tax:
        lines += [("PPh dipotong", rupiah(crm, line.tax, cur)),
                  ("Diterima bersih", rupiah(crm, line.net, cur))]
    pdf.pairs([*lines, ("Pembayaran", payout)], bold_last=False)
    if tax:
        pdf.paragraph(f"{tax}; PPh dihitung dari seluruh bagian SHU Anda dan dibulatkan ke "
                      "bawah ke rupiah.", size=8)
    pdf.ln(2)
    rounding = rounding_text(crm, draft)
    if rounding:
        pdf.paragraph(f"Pembulatan: {rounding}.", size=8.5)
    pdf.paragraph(distribution_sentence(crm, draft), size=8.5)
    city = crm.config.organisation.address.split(",")[-1].strip() or "Jakarta"
    pdf.signatures([("Bendahara", "")], city_date=f"{city}, {tanggal(crm, crm.today())}")
    return pdf.save(path)
