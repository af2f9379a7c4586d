"""The portal's own pages: signing in, passwords, dashboards, the work queue, errors."""

MESSAGES = {
    "Skip to content": "Langsung ke isi",
    "Training deployment: the date is simulated as {day}.":
        "Sistem latihan: tanggal disimulasikan sebagai {day}.",
    "Main menu": "Menu utama",
    "Sign in": "Masuk",
    "Sign out": "Keluar",
    "Home": "Beranda",
    "Work queue": "Antrian kerja",
    "Your session has ended; please sign in again.":
        "Sesi Anda telah berakhir; silakan masuk kembali.",
    "User name": "Nama pengguna",
    "Password": "Kata sandi",
    "Forgot your password?": "Lupa kata sandi?",
    "I have a one-time code": "Saya punya kode sekali pakai",
    "The user name or password is wrong.": "Nama pengguna atau kata sandi salah.",
    "Choose your password": "Buat kata sandi",
    "Enter the one-time code you received from the cooperative and choose a password of at "
    "least 12 characters.":
        "Masukkan kode sekali pakai yang Anda terima dari koperasi, lalu buat kata sandi "
        "paling sedikit 12 karakter.",
    "One-time code": "Kode sekali pakai",
    "New password": "Kata sandi baru",
    "New password again": "Ulangi kata sandi baru",
    "Set password": "Simpan kata sandi",
    "The two passwords are not the same.": "Kedua kata sandi tidak sama.",
    "The code is wrong, expired or already used.":
        "Kode salah, kedaluwarsa, atau sudah pernah dipakai.",
    "Password set": "Kata sandi tersimpan",
    "Your password is set. You can sign in now.":
        "Kata sandi Anda tersimpan. Silakan masuk.",
    "We send a one-time code to the e-mail or phone the cooperative has for you. Staff "
    "accounts are reset by an administrator.":
        "Kami mengirim kode sekali pakai ke e-mail atau nomor telepon Anda yang tercatat di "
        "koperasi. Akun pengurus dan staf diatur ulang oleh administrator.",
    "Send me a code": "Kirim kode",
    "Check your messages": "Periksa pesan Anda",
    "If the account exists, a code to choose a new password was sent to its e-mail or phone.":
        "Jika akun itu ada, kode untuk membuat kata sandi baru telah dikirim ke e-mail atau "
        "teleponnya.",
    "I have the code": "Saya sudah punya kodenya",
    "Change password": "Ganti kata sandi",
    "Current password": "Kata sandi saat ini",
    "The current password is wrong.": "Kata sandi saat ini salah.",
    "Password changed": "Kata sandi diganti",
    "Your password is changed.": "Kata sandi Anda sudah diganti.",
    "Sorry": "Mohon maaf",
    "Back to the home page": "Kembali ke beranda",
    "Welcome": "Selamat datang",
    "Welcome to {name}": "Selamat datang di {name}",
    "Members see their savings, loans, rewards and messages here, and staff do their daily "
    "work.":
        "Di sini anggota melihat simpanan, pinjaman, poin hadiah dan pesannya, dan staf "
        "mengerjakan tugas hariannya.",
    "My dashboard": "Dasbor saya",
    "Dashboard": "Dasbor",
    "Nothing to show yet.": "Belum ada yang dapat ditampilkan.",
    "Nothing waiting.": "Tidak ada yang menunggu.",
    "Your roles have no queue of work here.": "Peran Anda tidak memiliki antrian kerja di sini.",
    "since {when}": "sejak {when}",
    "due {when}": "batas {when}",
    "late": "terlambat",
    "The form had expired or did not come from this site. Go back, reload the page and send "
    "it again.":
        "Formulir sudah kedaluwarsa atau tidak berasal dari situs ini. Kembali, muat ulang "
        "halaman, lalu kirim lagi.",
    "The service is unavailable for a moment; nothing was changed. Please try again in a few "
    "minutes.":
        "Layanan sedang tidak tersedia sebentar; tidak ada yang berubah. Silakan coba lagi "
        "beberapa menit lagi.",
    "You may not open this page.": "Anda tidak berhak membuka halaman ini.",
    "This page does not exist.": "Halaman ini tidak ada.",
    "This page cannot be used that way.": "Halaman ini tidak dapat dipakai dengan cara itu.",
    "The file is too large.": "Berkas terlalu besar.",
    "Error": "Kesalahan",
    "Messages": "Pesan",
    "Menu": "Menu",
    "Latest messages": "Pesan terbaru",
    "No messages yet.": "Belum ada pesan.",
    "All messages": "Semua pesan",
}
