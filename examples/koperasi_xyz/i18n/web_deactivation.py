"""The pages of members leaving the cooperative: request, settlement, approval, payout."""

MESSAGES = {
    "Approve and post the settlement": "Setujui dan bukukan penyelesaian",
    "Approved": "Disetujui",
    "Ask to leave": "Ajukan keluar",
    "Cancel the request": "Batalkan permohonan",
    "Cancelled": "Dibatalkan",
    "Earlier requests": "Permohonan sebelumnya",
    "I stay a member.": "Saya tetap menjadi anggota.",
    "Leave request #{id}": "Permohonan keluar #{id}",
    "Leave request #{id}: {member}": "Permohonan keluar #{id}: {member}",
    "Leave request #{id} is approved; the settlement is posted.":
        "Permohonan keluar #{id} disetujui; penyelesaian sudah dibukukan.",
    "Leave request #{id} is cancelled; the member stays active.":
        "Permohonan keluar #{id} dibatalkan; anggota tetap aktif.",
    "Leave the cooperative": "Keluar dari koperasi",
    "Members leaving": "Anggota yang keluar",
    "No leave requests.": "Tidak ada permohonan keluar.",
    "Paid {amount}; the membership has ended.": "Dibayar {amount}; keanggotaan sudah berakhir.",
    "Pay the refund": "Bayar pengembalian",
    "Pay the refund from (optional, YYYY-MM-DD)":
        "Bayar pengembalian mulai (tidak wajib, TTTT-BB-HH)",
    "Receipt or transfer reference": "Nomor kuitansi atau referensi transfer",
    "Record the payout": "Catat pembayaran",
    "Refund": "Pengembalian",
    "Refund paid from": "Pengembalian dibayar mulai",
    "Request": "Permohonan",
    "Settlement as of today (preview)": "Penyelesaian per hari ini (perkiraan)",
    "Settlement as posted": "Penyelesaian yang dibukukan",
    "This is a preview: the settlement is computed again on the day the request is approved.":
        "Ini perkiraan: penyelesaian dihitung ulang pada hari permohonan disetujui.",
    "Total refund": "Total pengembalian",
    "What you would get back if you left today":
        "Yang Anda terima kembali jika keluar hari ini",
    "Why do you leave?": "Mengapa Anda keluar?",
    "Why is it cancelled?": "Mengapa dibatalkan?",
    "Withdraw my request": "Tarik kembali permohonan saya",
    "Your request to leave": "Permohonan keluar Anda",
    "Your request to leave (#{id}) is recorded; the board will decide on it.":
        "Permohonan keluar Anda (#{id}) sudah dicatat; pengurus akan memutuskannya.",
    "Your request to leave is withdrawn; you stay a member.":
        "Permohonan keluar Anda ditarik kembali; Anda tetap menjadi anggota.",
    "Your settlement": "Penyelesaian Anda",
    "refund to pay": "pengembalian perlu dibayar",
    "waiting for approval": "menunggu persetujuan",
    "approved; refund to pay": "disetujui; pengembalian perlu dibayar",
}
