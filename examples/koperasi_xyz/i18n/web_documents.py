"""Receipts (kwitansi), the passbook (buku simpanan) and the loan agreement."""

MESSAGES = {
    # receipt kinds (dyncrm_receipt_kinds titles)
    "Savings deposit receipt": "Kwitansi setoran simpanan",
    "Savings withdrawal receipt": "Kwitansi penarikan simpanan",
    "Credit to voluntary savings": "Bukti pemindahbukuan ke simpanan sukarela",
    "Debit from voluntary savings": "Bukti pendebetan simpanan sukarela",
    "Loan disbursement proof": "Bukti pembayaran pinjaman",
    "Loan repayment receipt": "Kwitansi angsuran pinjaman",
    "Leave settlement": "Bukti perhitungan keluar anggota",
    "Savings refund on leaving": "Kwitansi pengembalian simpanan",
    "SHU share payout": "Bukti pembagian SHU",
    # portal
    "Receipt": "Kwitansi",
    "Receipts": "Kwitansi",
    "My receipts": "Kwitansi saya",
    "Number": "Nomor",
    "Kind": "Jenis",
    "No receipts yet.": "Belum ada kwitansi.",
    "Passbook": "Buku simpanan",
    "Download passbook (PDF)": "Unduh buku simpanan (PDF)",
    "Loan agreement": "Perjanjian pinjaman",
    "Download loan agreement (PDF)": "Unduh perjanjian pinjaman (PDF)",
}
