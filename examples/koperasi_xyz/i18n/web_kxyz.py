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
    "Open": "Terbuka",
    "Within service level": "Masih dalam batas waktu layanan",
    "Past their due date": "Melewati batas waktu",
    "Share of open tickets past their due date":
        "Porsi tiket terbuka yang melewati batas waktu",
}
