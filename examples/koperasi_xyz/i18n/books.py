"""Koperasi XYZ's Indonesian texts of the books: statements, chart, ledger views.

The statements (:mod:`dyncrm.books.statements`) and the ``dyncrm books`` and
``dyncrm ledger`` commands write their labels in English; the treasurer of
Koperasi XYZ reads them as below (neraca, perhitungan hasil usaha, laporan
perubahan ekuitas).  The chart's own line names come from ``[books]`` in
dyncrm.toml.
"""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    "Balance sheet": "Neraca (Laporan Posisi Keuangan)",
    "Income statement": "Perhitungan Hasil Usaha",
    "Statement of changes in equity": "Laporan Perubahan Ekuitas",
    "Assets": "Aset",
    "Liabilities": "Kewajiban",
    "Equity": "Ekuitas",
    "Income": "Pendapatan",
    "Expenses": "Beban",
    "Liabilities and equity": "Kewajiban dan ekuitas",
    "Total assets": "Jumlah aset",
    "Total {section}": "Jumlah {section}",
    "Total liabilities and equity": "Jumlah kewajiban dan ekuitas",
    "Total income": "Jumlah pendapatan",
    "Total expenses": "Jumlah beban",
    "Total equity": "Jumlah ekuitas",
    "Total": "Jumlah",
    "Result": "Hasil usaha",
    "Result (income less expenses)": "Sisa hasil usaha (pendapatan dikurangi beban)",
    "Result of the current year (not closed)": "SHU tahun berjalan (belum ditutup)",
    "Results of earlier years (not closed)": "SHU tahun lalu yang belum ditutup",
    "Income less expenses, not closed": "SHU yang belum ditutup",
    "Code": "Kode",
    "Account": "Akun",
    "Section": "Kelompok",
    "Account kinds": "Jenis akun",
    "as of {date}": "per {date}",
    "compared with {date}": "dibandingkan dengan {date}",
    "compared with {period}": "dibandingkan dengan {period}",
    "year {year}": "tahun buku {year}",
    "Balanced on {date}": "Seimbang per {date}",
    "yes": "ya",
    "NO: assets differ by {amount}": "TIDAK: selisih aset {amount}",
    "Opening {date}": "Saldo {date}",
    "Closing {date}": "Saldo {date}",
    "Additions": "Penambahan",
    "Deductions": "Pengurangan",
    "{kind} (not on the chart)": "{kind} (belum ada di bagan akun)",
    "account kinds not on the chart of accounts: {kinds} (see: dyncrm books check)":
        "jenis akun yang belum ada di bagan akun: {kinds} (lihat: dyncrm books check)",
    "(income less expenses not closed)": "(pendapatan dikurangi beban yang belum ditutup)",
    "Account kinds in use that no chart line holds:":
        "Jenis akun yang dipakai tetapi belum ada di bagan akun:",
    "every account kind in use is on a chart line":
        "semua jenis akun yang dipakai sudah ada di bagan akun",
    "not money, left out of the statements: {kinds}":
        "bukan uang, tidak masuk laporan keuangan: {kinds}",
    "chart lines holding no account yet: {codes}": "akun bagan yang belum terpakai: {codes}",
    "balance brought forward: {amount}": "saldo awal: {amount}",
    "no entries": "tidak ada jurnal",
    "(the first {limit} entries; narrow the search or use --csv)":
        "({limit} jurnal pertama; persempit pencarian atau pakai --csv)",
}
