"""The rewards pages: points, tier, history and the catalogue."""

MESSAGES = {
    "My points": "Poin saya",
    "Members' points": "Poin anggota",
    "Points": "Poin",
    "Tier": "Tingkat",
    "History and catalogue": "Riwayat dan katalog",
    "Date": "Tanggal",
    "What for": "Untuk apa",
    "Balance": "Saldo",
    "No points yet.": "Belum ada poin.",
    "Points earned as a member": "Poin yang diperoleh selama menjadi anggota",
    "History": "Riwayat",
    "Catalogue": "Katalog",
    "Redeem your points at the cooperative's office.": "Tukarkan poin Anda di kantor koperasi.",
    "Item": "Barang",
    "In stock": "Stok",
    "The catalogue is empty.": "Katalog kosong.",
    "Member number": "Nomor anggota",
    "Show": "Tampilkan",
    "No member has this number.": "Tidak ada anggota dengan nomor ini.",
}
