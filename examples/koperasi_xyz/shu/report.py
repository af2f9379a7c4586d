"""The SHU report (laporan pembagian SHU) and a member's SHU slip, in Indonesian.

Rows for the terminal and PDF carry amounts as ``Rp 1.250.000``; CSV rows carry
whole minor units so a spreadsheet can add them up.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dyncrm.reports import ReportColumn as Column

from ..fmt import persen, rupiah, tanggal
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


def basis_text(rules: dict) -> tuple[str, str]:
    """Indonesian description of the jasa modal and jasa usaha bases."""
    capital = "simpanan pokok + wajib" + (" + sukarela" if rules.get("capital_sukarela") else "")
    capital += (", rata-rata saldo akhir bulan" if rules.get("capital_average") == "monthly"
                else ", saldo akhir tahun")
    txn = ("jasa pinjaman yang dibayar dalam tahun buku"
           if rules.get("transactions") == "interest"
           else "pokok pinjaman yang dicairkan dalam tahun buku")
    return capital, txn


def _pct_of_total(rules: dict, name: str) -> str:
    pct = rules["percentages"]
    if name in pct:
        return persen(pct[name])
    if name in MEMBER_POOLS and rules.get("convention") == "member_share":
        from decimal import Decimal

        value = Decimal(pct[MEMBER_SHARE]) * Decimal(rules["member_split"][name]) / 100
        return persen(value)
    return "-"


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


def member_rows(crm: CRM, draft: Draft) -> list[dict[str, Any]]:
    """One row per eligible member, amounts formatted."""
    cur = draft.currency
    return [{"no": i, "nomor": m.number, "nama": m.name,
             "modal": rupiah(crm, m.capital, cur), "transaksi": rupiah(crm, m.transactions, cur),
             "jasa_modal": rupiah(crm, m.jasa_modal, cur),
             "jasa_usaha": rupiah(crm, m.jasa_usaha, cur), "jumlah": rupiah(crm, m.total, cur)}
            for i, m in enumerate(draft.distribution.members, start=1)]


CSV_COLUMNS = ["nomor", "nama", "modal", "transaksi", "jasa_modal", "jasa_usaha", "jumlah"]


def csv_rows(draft: Draft) -> list[dict[str, Any]]:
    """Member rows for CSV: whole minor units; an averaged capital as an exact fraction."""
    return [{"nomor": m.number, "nama": m.name, "modal": fraction_text(m.capital),
             "transaksi": fraction_text(m.transactions), "jasa_modal": m.jasa_modal,
             "jasa_usaha": m.jasa_usaha, "jumlah": m.total}
            for m in draft.distribution.members]


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
    if draft.rules.get("decision"):
        pairs.append(("Dasar keputusan", draft.rules["decision"]))
    row = year_row(dist.year)
    if row is not None and row.rat_date:
        pairs.append(("Tanggal RAT", tanggal(crm, row.rat_date)))
    if row is not None and row.posted_on:
        pairs.append(("Dibukukan", tanggal(crm, row.posted_on)))
    return pairs


POOL_COLUMNS = [Column("alokasi", "Alokasi", width=2.2), Column("persen", "Persen", "R", 0.8),
                Column("jumlah", "Jumlah", "R", 1.4), Column("akun", "Akun", width=1.6)]
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
    return Laporan(
        name="shu", title=f"Laporan Pembagian SHU Tahun Buku {dist.year}",
        subtitle=STATUS_ID.get(draft.status, draft.status),
        columns=tuple(MEMBER_COLUMNS),
        sections=(
            Section(heading="Alokasi SHU menurut AD/ART", columns=tuple(POOL_COLUMNS),
                    rows=tuple({k: r[k] for k in ("alokasi", "persen", "jumlah", "akun")}
                               for r in pool_rows(crm, draft)),
                    raw=tuple({"alokasi": r["name"], "persen": r["persen"],
                               "jumlah": r["units"], "akun": r["akun"]}
                              for r in pool_rows(crm, draft)),
                    totals={"alokasi": "Jumlah", "persen": "100%",
                            "jumlah": rupiah(crm, dist.total, cur)}),
            Section(heading="Pembagian SHU per anggota", rows=tuple(member_rows(crm, draft)),
                    raw=tuple(csv_rows(draft)), totals={
                        "nama": "Jumlah", "modal": rupiah(crm, dist.capital_total, cur),
                        "transaksi": rupiah(crm, dist.transactions_total, cur),
                        "jasa_modal": rupiah(crm, sum(x.jasa_modal for x in m), cur),
                        "jasa_usaha": rupiah(crm, sum(x.jasa_usaha for x in m), cur),
                        "jumlah": rupiah(crm, dist.members_total, cur)})),
        summary=tuple(summary_pairs(crm, draft)),
        notes=tuple(notes), landscape=True,
        signatures=(("Bendahara", ""), ("Ketua", "")))


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
    pdf.heading("Jasa modal")
    jm_pool = dist.pools.get("jasa_modal", 0)
    pdf.pairs([
        ("Dasar", capital_basis),
        ("Modal Anda", rupiah(crm, line.capital, cur)),
        ("Total modal anggota", rupiah(crm, dist.capital_total, cur)),
        ("Dana jasa modal", rupiah(crm, jm_pool, cur)),
        ("Jasa modal Anda", rupiah(crm, line.jasa_modal, cur)),
    ])
    pdf.paragraph("Jasa modal = dana jasa modal × modal Anda ÷ total modal anggota, "
                  "dibulatkan ke rupiah (sisa terbesar).", size=8)
    pdf.heading("Jasa usaha")
    ju_pool = dist.pools.get("jasa_usaha", 0)
    pdf.pairs([
        ("Dasar", txn_basis),
        ("Transaksi Anda", rupiah(crm, line.transactions, cur)),
        ("Total transaksi anggota", rupiah(crm, dist.transactions_total, cur)),
        ("Dana jasa usaha", rupiah(crm, ju_pool, cur)),
        ("Jasa usaha Anda", rupiah(crm, line.jasa_usaha, cur)),
    ])
    pdf.paragraph("Jasa usaha = dana jasa usaha × transaksi Anda ÷ total transaksi anggota, "
                  "dibulatkan ke rupiah (sisa terbesar).", size=8)
    pdf.heading("Jumlah")
    payout = ("dikreditkan ke simpanan sukarela Anda" if draft.rules.get("payout") == "sukarela"
              else "dibayarkan tunai")
    pdf.pairs([("SHU Anda", rupiah(crm, line.total, cur)), ("Pembayaran", payout)],
              bold_last=False)
    pdf.ln(2)
    pdf.paragraph(f"SHU tahun buku {dist.year} seluruhnya "
                  f"{rupiah(crm, dist.total, cur)}; dibagikan kepada {len(dist.members)} "
                  "anggota sesuai AD/ART dan keputusan Rapat Anggota Tahunan.", size=8.5)
    city = crm.config.organisation.address.split(",")[-1].strip() or "Jakarta"
    pdf.signatures([("Bendahara", "")], city_date=f"{city}, {tanggal(crm, crm.today())}")
    return pdf.save(path)
