"""The savings pages: balances, statements, transfers with proofs, verification."""

MESSAGES = {
    "My savings": "Simpanan saya",
    "Transfer proofs to verify": "Bukti transfer untuk diverifikasi",
    "Total": "Jumlah",
    "Wajib arrears": "Tunggakan simpanan wajib",
    "See statements": "Lihat rekening koran",
    "Deposit by transfer": "Setor lewat transfer",
    "Balances": "Saldo",
    "Statements": "Rekening koran",
    "Savings statement": "Rekening koran simpanan",
    "Year": "Tahun",
    "All time": "Semua waktu",
    "Show": "Tampilkan",
    "Download CSV": "Unduh CSV",
    "Download PDF": "Unduh PDF",
    "Opening balance": "Saldo awal",
    "Closing balance": "Saldo akhir",
    "Date": "Tanggal",
    "Description": "Keterangan",
    "Amount": "Jumlah uang",
    "Balance": "Saldo",
    "No movements.": "Tidak ada mutasi.",
    "My deposits": "Setoran saya",
    "Product": "Produk",
    "Method": "Cara",
    "Status": "Status",
    "Waiting for verification": "Menunggu verifikasi",
    "Verified": "Terverifikasi",
    "Rejected": "Ditolak",
    "No deposits yet.": "Belum ada setoran.",
    "Transfer the money to the cooperative's bank account first, then send the proof here. "
    "A cashier checks it before it is added to your savings.":
        "Transfer dulu uangnya ke rekening bank koperasi, lalu kirim buktinya di sini. "
        "Kasir memeriksanya sebelum ditambahkan ke simpanan Anda.",
    "Savings": "Simpanan",
    "Proof of transfer (photo or PDF)": "Bukti transfer (foto atau PDF)",
    "Note": "Catatan",
    "Send": "Kirim",
    "Your transfer of {amount} is waiting for the cashier to check it.":
        "Transfer Anda sebesar {amount} menunggu diperiksa kasir.",
    "Transfer {id} from {name}, {amount}": "Transfer {id} dari {name}, {amount}",
    "Transfer {id} verified: {amount} posted.":
        "Transfer {id} terverifikasi: {amount} dibukukan.",
    "Transfer {id} rejected.": "Transfer {id} ditolak.",
    "Transfer {id}": "Transfer {id}",
    "Member": "Anggota",
    "Reference": "Referensi",
    "Recorded by": "Dicatat oleh",
    "Reason": "Alasan",
    "Proof of transfer": "Bukti transfer",
    "Download the proof": "Unduh bukti",
    "No proof.": "Tidak ada bukti.",
    "Decision": "Keputusan",
    "Verify": "Verifikasi",
    "Reason for rejecting": "Alasan penolakan",
    "Reject": "Tolak",
    "Cash at the office": "Tunai di kantor",
    "Transfer to my bank account": "Transfer ke rekening bank saya",
    "Your request to withdraw {amount} is sent to the cashier.":
        "Permintaan penarikan Anda sebesar {amount} sudah dikirim ke kasir.",
    "Withdrawal {id} for {name}, {amount}": "Penarikan {id} untuk {name}, {amount}",
    "Withdrawal {id} paid: {amount}.": "Penarikan {id} dibayar: {amount}.",
    "Withdrawal {id} refused.": "Penarikan {id} ditolak.",
    "Withdrawals to pay": "Penarikan untuk dibayar",
    "Withdraw savings": "Tarik simpanan",
    "You can ask for up to {amount} of your {product}. A cashier pays it and the money leaves "
    "your savings then.":
        "Anda dapat meminta paling banyak {amount} dari {product} Anda. Kasir membayarnya dan "
        "saat itulah uang keluar dari simpanan Anda.",
    "How to pay you": "Cara pembayaran kepada Anda",
    "Asked on": "Diminta pada",
    "Pay": "Bayar",
    "Reason for refusing": "Alasan penolakan",
    "Refuse": "Tolak",
    "No withdrawals are waiting.": "Tidak ada penarikan yang menunggu.",
    "My withdrawal requests": "Permintaan penarikan saya",
    "Waiting for the cashier": "Menunggu kasir",
    "Paid": "Dibayar",
    "Refused": "Ditolak",
    "No withdrawal requests.": "Belum ada permintaan penarikan.",
    "Reversed": "Dikoreksi (dibatalkan)",
    "This proof is the same file as the proof of another deposit:":
        "Bukti ini file yang sama dengan bukti setoran lain:",
    "The same proof may not be used for two transfers. Check the bank statement: verify only "
    "if this is really another transfer.":
        "Satu bukti tidak boleh dipakai untuk dua transfer. Periksa mutasi rekening bank: "
        "verifikasi hanya bila ini memang transfer yang lain.",
    "I checked the bank statement: this is another transfer, not the same one again.":
        "Saya sudah memeriksa mutasi rekening bank: ini transfer yang lain, bukan transfer "
        "yang sama lagi.",
    "Tick the box to confirm that this is another transfer, or reject it.":
        "Centang kotak untuk menegaskan bahwa ini transfer yang lain, atau tolak transfer ini.",
}
