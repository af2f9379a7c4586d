"""The membership pages: applying online, verification and decision, the register, profiles."""

MESSAGES = {
    "A welcome message with the activation code has been queued for the member.":
        "Pesan selamat datang berisi kode aktivasi sudah diantrekan untuk anggota.",
    "About you": "Data diri",
    "Activate my account": "Aktifkan akun saya",
    "Address": "Alamat",
    "Already approved.": "Sudah disetujui.",
    "Application approved": "Permohonan disetujui",
    "Application number": "Nomor permohonan",
    "Application rejected.": "Permohonan ditolak.",
    "Application returned to the applicant.": "Permohonan dikembalikan kepada pemohon.",
    "Application verified; the board decides next.":
        "Permohonan diverifikasi; selanjutnya pengurus memutuskan.",
    "Application {id}": "Permohonan {id}",
    "Applications to decide": "Permohonan untuk diputuskan",
    "Applications to verify": "Permohonan untuk diverifikasi",
    "Apply for membership": "Daftar menjadi anggota",
    "Channel": "Saluran",
    "Choose…": "Pilih…",
    "Contact": "Kontak",
    "Date of birth": "Tanggal lahir",
    "E-mail": "E-mail",
    "Employed since": "Bekerja sejak",
    "Employment": "Pekerjaan",
    "Employment status": "Status kepegawaian",
    "Fill in your details as on your KTP. The secretary checks your application and the board "
    "decides; you can follow it with the link you get after sending.":
        "Isi data Anda sesuai KTP. Sekretaris memeriksa permohonan Anda dan pengurus "
        "memutuskan; Anda dapat memantaunya lewat tautan yang Anda terima setelah mengirim.",
    "Full name as on the KTP": "Nama lengkap sesuai KTP",
    "Home address": "Alamat rumah",
    "Joined": "Bergabung",
    "KTP NIK": "NIK KTP",
    "KTP NIK (16 digits)": "NIK KTP (16 digit)",
    "Keep this link to follow your application:":
        "Simpan tautan ini untuk memantau permohonan Anda:",
    "Login": "Nama pengguna",
    "Members": "Anggota",
    "Mobile number": "Nomor HP",
    "Monthly take-home pay": "Gaji bersih per bulan",
    "Name, member number, NIK or employee number":
        "Nama, nomor anggota, NIK atau nomor karyawan",
    "No member matches.": "Tidak ada anggota yang cocok.",
    "Nothing recorded yet.": "Belum ada catatan.",
    "Objections": "Keberatan",
    "One-time activation code": "Kode aktivasi sekali pakai",
    "Phase": "Tahap",
    "Referral code (if a member recommended you)":
        "Kode referensi (jika Anda direkomendasikan anggota)",
    "Results": "Hasil",
    "Return": "Kembalikan",
    "Search": "Cari",
    "Send the application": "Kirim permohonan",
    "Stage": "Tahap keanggotaan",
    "Submitted": "Diajukan",
    "The code is shown only now. The member activates the account at the activation page "
    "with the login and this code.":
        "Kode ini hanya ditampilkan sekarang. Anggota mengaktifkan akunnya di halaman aktivasi "
        "dengan nama pengguna dan kode ini.",
    "Timeline": "Riwayat",
    "Verification": "Verifikasi",
    "Welcome! Activate your account with the code you were given.":
        "Selamat bergabung! Aktifkan akun Anda dengan kode yang Anda terima.",
    "What": "Kegiatan",
    "What the applicant must fix": "Yang harus diperbaiki pemohon",
    "Your application has been received.": "Permohonan Anda sudah kami terima.",
    "e.g. 0812-3456-7890": "mis. 0812-3456-7890",
    "e.g. 4.500.000": "mis. 4.500.000",
    # statuses and stages shown through _()
    "submitted": "diajukan",
    "returned": "dikembalikan",
    "verified": "diverifikasi",
    "approved": "disetujui",
    "rejected": "ditolak",
    "applicant": "pemohon",
    "active": "aktif",
    "leaving": "dalam proses keluar",
    "inactive": "tidak aktif",
}
