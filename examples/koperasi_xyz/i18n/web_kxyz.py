"""Koperasi XYZ's own pages: reports (laporan), the chair's card, SHU and payroll."""

MESSAGES = {
    # reports
    "Reports": "Laporan",
    "Choose a report, fill in its dates and download it as PDF or CSV.":
        "Pilih laporan, isi tanggalnya, lalu unduh sebagai PDF atau CSV.",
    "No reports.": "Tidak ada laporan.",
    "Report {name}": "Laporan {name}",
    "Download PDF": "Unduh PDF",
    "Download CSV": "Unduh CSV",
    "Download summary CSV": "Unduh CSV ringkasan",
    "All reports": "Semua laporan",
    "Choose PDF or CSV.": "Pilih PDF atau CSV.",
    "This field is required.": "Wajib diisi.",
    "Date": "Tanggal",
    "From": "Dari tanggal",
    "To": "Sampai tanggal",
    "Month (YYYY-MM)": "Bulan (TTTT-BB)",
    "Year": "Tahun",
    "Department": "Departemen",
    "Loan": "Pinjaman",
    "Only this department.": "Hanya departemen ini.",
    "One loan's schedule instead.": "Jadwal angsuran satu pinjaman saja.",
    "Member register (buku daftar anggota) with each member's status on the date.":
        "Buku daftar anggota dengan status tiap anggota pada tanggal itu.",
    "Members who joined in the period.": "Anggota yang bergabung dalam periode.",
    "Members who left in the period or are leaving, with the refund status.":
        "Anggota yang keluar dalam periode atau sedang proses keluar, dengan status "
        "pengembalian simpanan.",
    "Savings per member and per product on the date.":
        "Simpanan per anggota dan per produk pada tanggal itu.",
    "Loans outstanding with arrears and collectibility (or --loan ID: its schedule).":
        "Pinjaman beredar dengan tunggakan dan kolektibilitas (atau jadwal angsuran satu "
        "pinjaman).",
    "The payroll deduction list of a month (see also: dyncrm payroll list --xlsx).":
        "Daftar potongan gaji satu bulan.",
    "Feedback: tickets by category and month, service levels, satisfaction.":
        "Kritik dan saran: tiket per kategori dan bulan, tingkat layanan, kepuasan.",
    "The SHU distribution of a fiscal year (locked once approved, else a draft).":
        "Pembagian SHU satu tahun buku (terkunci setelah disetujui, selain itu draf).",
    "Touchpoints per member by phase × information type (of / for / by).":
        "Titik kontak per anggota menurut fase × jenis informasi (of / for / by).",
    # the chair's card
    "The cooperative at a glance": "Ringkasan koperasi",
    "Members by stage": "Anggota menurut status",
    "Applicants": "Calon anggota",
    "Active members": "Anggota aktif",
    "Leaving": "Proses keluar",
    "Left": "Sudah keluar",
    "Rejected": "Ditolak",
    "Savings outstanding": "Saldo simpanan",
    "Simpanan pokok": "Simpanan pokok",
    "Simpanan wajib": "Simpanan wajib",
    "Simpanan sukarela": "Simpanan sukarela",
    "Loans outstanding": "Pinjaman beredar",
    "Loans in arrears": "Pinjaman menunggak",
    "Arrears (principal and interest)": "Tunggakan (pokok dan jasa)",
    "Share of outstanding principal in arrears": "Porsi sisa pokok yang menunggak",
    "Open feedback tickets": "Tiket kritik & saran terbuka",
    "Open tickets": "Tiket terbuka",
    "Not acknowledged in time": "Tidak ditanggapi tepat waktu",
    "Within service level": "Masih dalam batas waktu layanan",
    "Past their due date": "Melewati batas waktu",
    "Share of open tickets past their due date":
        "Porsi tiket terbuka yang melewati batas waktu",
    # SHU
    "SHU": "SHU",
    "SHU {year}": "SHU {year}",
    "Fiscal year": "Tahun buku",
    "Jasa modal": "Jasa modal",
    "Jasa usaha": "Jasa usaha",
    "Your SHU": "SHU Anda",
    "PPh withheld": "PPh dipotong",
    "Paid to you (net)": "Diterima bersih",
    "Status": "Status",
    "Paid out": "Sudah dibagikan",
    "Approved, not paid out yet": "Disetujui, belum dibagikan",
    "Download my SHU slip (PDF)": "Unduh slip SHU saya (PDF)",
    "Show": "Tampilkan",
    "Where the year stands": "Kedudukan tahun ini",
    "Not entered yet": "Belum dicatat",
    "Entered, not approved yet": "Sudah dicatat, belum disetujui",
    "Approved, not posted yet": "Disetujui, belum dibukukan",
    "Posted": "Sudah dibukukan",
    "SHU amount": "Jumlah SHU",
    "Entered by": "Dicatat oleh",
    "RAT date": "Tanggal RAT",
    "Posted on": "Dibukukan pada",
    "Approvals": "Persetujuan",
    "User name": "Nama pengguna",
    "As": "Sebagai",
    "When": "Waktu",
    "Counts": "Berlaku",
    "yes": "ya",
    "no: the figures changed": "tidak: angkanya berubah",
    "What to do": "Yang perlu dilakukan",
    "Nothing: the year's SHU is posted.": "Tidak ada: SHU tahun ini sudah dibukukan.",
    "The treasurer posts the approved SHU.": "Bendahara membukukan SHU yang sudah disetujui.",
    "The year's SHU as closed in the books": "SHU tahun ini sesuai tutup buku",
    "For example 125.000.000": "Misalnya 125.000.000",
    "Enter SHU": "Catat SHU",
    "Date of the RAT that decided the SHU": "Tanggal RAT yang memutuskan SHU",
    "Approve SHU": "Setujui SHU",
    "Booking date": "Tanggal pembukuan",
    "Leave empty for today.": "Kosongkan untuk hari ini.",
    "Post SHU to members and funds": "Bukukan SHU ke anggota dan dana-dana",
    "Distribution": "Pembagian",
    "Compute with another amount": "Hitung dengan jumlah lain",
    "Optional: a what-if figure; nothing is saved.":
        "Pilihan: angka simulasi; tidak ada yang disimpan.",
    "Compute": "Hitung",
    "Draft: the figures may change until the year is approved.":
        "Draf: angka dapat berubah sampai tahun ini disetujui.",
    "Allocation": "Alokasi",
    "Amount": "Jumlah",
    "Members' shares": "Bagian anggota",
    "Member number": "Nomor anggota",
    "Name": "Nama",
    "Total": "Jumlah",
    "No eligible members.": "Tidak ada anggota yang berhak.",
    "SHU {year} was already recorded as {amount}; nothing changed.":
        "SHU {year} sudah tercatat sebesar {amount}; tidak ada yang berubah.",
    "SHU {year} recorded: {amount}.": "SHU {year} dicatat: {amount}.",
    "The figures changed since {names} approved; their approval no longer counts.":
        "Angka berubah sejak {names} menyetujui; persetujuan itu tidak berlaku lagi.",
    "SHU {year} approved: the year is locked and can be posted.":
        "SHU {year} disetujui: tahun ini terkunci dan dapat dibukukan.",
    "You approved SHU {year}; it still needs {who}.":
        "Anda menyetujui SHU {year}; masih perlu persetujuan {who}.",
    "SHU {year} was already posted on {day}; nothing was posted again.":
        "SHU {year} sudah dibukukan pada {day}; tidak ada yang dibukukan lagi.",
    "SHU {year} posted: {members} members, {to_members} to members, {to_pools} to reserve "
    "and funds.":
        "SHU {year} dibukukan: {members} anggota, {to_members} untuk anggota, {to_pools} "
        "untuk cadangan dan dana-dana.",
    "The members' slips were issued on {date} by {user} ({count} slips); members download "
    "them as issued, and 'dyncrm archive list --kind shu.slips --key {year}' lists them.":
        "Slip anggota diterbitkan pada {date} oleh {user} ({count} slip); anggota mengunduh "
        "slip sebagaimana diterbitkan, dan 'dyncrm archive list --kind shu.slips --key "
        "{year}' menampilkannya.",
    "The year's SHU is posted. Issue the members' slips: each slip is archived as it is "
    "issued, and members download that slip from then on.":
        "SHU tahun ini sudah dibukukan. Terbitkan slip anggota: setiap slip diarsipkan "
        "sebagaimana diterbitkan, dan sejak itu anggota mengunduh slip tersebut.",
    "Issue the members' SHU slips": "Terbitkan slip SHU anggota",
    "The SHU slips of {year} were already issued on {date} by {user}; nothing was issued "
    "again.":
        "Slip SHU {year} sudah diterbitkan pada {date} oleh {user}; tidak ada yang "
        "diterbitkan lagi.",
    "The SHU slips of {year} are issued: {count} slips, archived as issued.":
        "Slip SHU {year} sudah diterbitkan: {count} slip, diarsipkan sebagaimana diterbitkan.",
    # payroll deduction
    "Payroll deduction": "Potong gaji",
    "Deduction list of a month": "Daftar potongan satu bulan",
    "Leave empty for every department.": "Kosongkan untuk semua departemen.",
    "Import the payroll office's confirmation": "Impor konfirmasi dari bagian penggajian",
    "Compute from today's records instead of the list as sent":
        "Hitung dari data hari ini, bukan daftar sebagaimana dikirim",
    "Once a month's list is sent, its download is the list as it was sent to the payroll "
    "office, from the archive.":
        "Setelah daftar suatu bulan dikirim, yang diunduh adalah daftar sebagaimana dikirim "
        "ke bagian penggajian, dari arsip.",
    "Lists sent to the payroll office": "Daftar yang dikirim ke bagian penggajian",
    "The list is archived as it stands now; sending the same month again changes nothing.":
        "Daftar diarsipkan sebagaimana adanya sekarang; mengirim bulan yang sama lagi tidak "
        "mengubah apa pun.",
    "Send the list to the payroll office": "Kirim daftar ke bagian penggajian",
    "Sent on": "Dikirim pada",
    "As sent": "Sebagaimana dikirim",
    "No list sent yet.": "Belum ada daftar yang dikirim.",
    "The list of {month} was sent on {date} by {user} ({members} members, {total}); nothing "
    "was archived again.":
        "Daftar {month} sudah dikirim pada {date} oleh {user} ({members} anggota, {total}); "
        "tidak ada yang diarsipkan lagi.",
    "The list of {month} is sent: {members} members, {total}; archived as sent.":
        "Daftar {month} dikirim: {members} anggota, {total}; diarsipkan sebagaimana dikirim.",
    "The payroll office's batch id": "Nomor batch dari bagian penggajian",
    "Confirmation file (CSV)": "Berkas konfirmasi (CSV)",
    "Only check the file; post nothing": "Periksa berkas saja; tidak ada yang dibukukan",
    "Import": "Impor",
    "Lines that do not match the deduction list": "Baris yang tidak cocok dengan daftar potongan",
    "Line": "Baris",
    "Employee number": "NIK karyawan",
    "Problem": "Masalah",
    "Batch {batch}: all {lines} lines match ({total}); nothing posted (check only).":
        "Batch {batch}: semua {lines} baris cocok ({total}); tidak ada yang dibukukan "
        "(hanya pemeriksaan).",
    "Imported batches": "Batch yang sudah diimpor",
    "Batch": "Batch",
    "Month": "Bulan",
    "Lines posted": "Baris dibukukan",
    "By": "Oleh",
    "No batches imported yet.": "Belum ada batch yang diimpor.",
    "Choose the file the payroll office returned.":
        "Pilih berkas yang dikembalikan bagian penggajian.",
    "Batch {batch} was already imported ({lines} lines, {total}); nothing was posted again.":
        "Batch {batch} sudah pernah diimpor ({lines} baris, {total}); tidak ada yang "
        "dibukukan lagi.",
    "Batch {batch}: {posted} lines posted, {total}.":
        "Batch {batch}: {posted} baris dibukukan, {total}.",
    "Not deducted (dues stay open): {who}.":
        "Tidak dipotong (kewajiban tetap terbuka): {who}.",
    "On the list but not in the file (dues stay open): {who}.":
        "Ada di daftar tetapi tidak ada di berkas (kewajiban tetap terbuka): {who}.",
}
