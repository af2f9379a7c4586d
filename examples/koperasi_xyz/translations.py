"""Koperasi XYZ's language: the Indonesian catalogue (``dyncrm_translations``) and filters.

The generic plugins write these sentences in English; members of Koperasi XYZ read
them in Indonesian — in a loan decision, in the reasons an application is refused.
Every koperasi_xyz plugin brings this catalogue and the ``bulan`` template filter
(its templates use it), so they are there whichever of the plugins a deployment enables.
"""

from __future__ import annotations

from dyncrm import hookimpl

INDONESIAN: dict[str, str] = {
    # expand.loans: eligibility reasons shown to the credit committee and the member
    "the member is {stage}, not an active member":
        "status anggota {stage}, bukan anggota aktif",
    "loan product {product} is no longer offered":
        "produk pinjaman {product} tidak lagi ditawarkan",
    "the amount {amount} is above the product's maximum {maximum}":
        "jumlah {amount} melebihi plafon produk {maximum}",
    "the amount {amount} is above {multiple}× the member's savings "
    "({products} = {savings}, so at most {allowed})":
        "jumlah {amount} melebihi {multiple}× simpanan anggota ({products} = {savings}, "
        "jadi paling banyak {allowed})",
    "the member has no joining date, so months of membership are unknown":
        "tanggal bergabung anggota tidak tercatat, sehingga lama keanggotaan tidak diketahui",
    "the member joined {months} months ago; the product needs {needed}":
        "anggota baru bergabung {months} bulan; produk ini mensyaratkan {needed} bulan "
        "keanggotaan",
    "the member already has loan {loan} ({stage}); the product allows one active loan at "
    "a time":
        "anggota masih memiliki pinjaman {loan} ({stage}); produk ini hanya mengizinkan satu "
        "pinjaman aktif",
    "the member's take-home pay is unknown, so the {share}% cap on monthly deductions "
    "cannot be checked":
        "gaji bersih anggota tidak diketahui, sehingga batas potongan {share}% tidak dapat "
        "diperiksa",
    " ({deductions} and this loan's {installment})":
        " ({deductions} dan angsuran pinjaman ini {installment})",
    " (this loan's installment {installment})":
        " (angsuran pinjaman ini {installment})",
    "monthly deductions would be {total}{parts}, {used} of take-home pay {pay}; the product "
    "allows at most {share}%":
        "potongan bulanan menjadi {total}{parts}, {used} dari gaji bersih {pay}; produk ini "
        "membatasi paling banyak {share}%",
    # koperasi_xyz.payroll: the confirmation import against the list as sent
    "this file was already imported in batch {batch} on {date}; nothing was posted":
        "berkas ini sudah diimpor dalam batch {batch} pada {date}; tidak ada yang dibukukan",
    "the deductions of {month} were already imported in batch {batch} on {date}; nothing "
    "was posted. A month's list is confirmed once: what was not deducted stays open and "
    "comes on next month's list":
        "potongan bulan {month} sudah diimpor dalam batch {batch} pada {date}; tidak ada yang "
        "dibukukan. Daftar potongan satu bulan dikonfirmasi sekali saja: yang tidak terpotong "
        "tetap terbuka dan masuk daftar bulan berikutnya",
    "the deductions of {month} are booked on payday {payday}, which is still to come; "
    "import the confirmation after payday":
        "potongan bulan {month} dibukukan pada hari gajian {payday}, yang belum tiba; impor "
        "konfirmasinya setelah hari gajian",
    # koperasi_xyz.shu: the members' slips, archived as issued
    "the SHU slips of {year} are issued once its SHU is posted, and it is {status}; post it "
    "first with 'dyncrm shu post --year {year}'":
        "slip SHU {year} diterbitkan setelah SHU-nya dibukukan, sedangkan SHU itu {status}; "
        "bukukan dulu dengan 'dyncrm shu post --year {year}'",
    "not entered yet": "belum dicatat",
    "entered but not approved yet": "sudah dicatat tetapi belum disetujui",
    "approved but not posted yet": "sudah disetujui tetapi belum dibukukan",
    "issue the members' slips with: dyncrm shu issue-slips --year {year}":
        "terbitkan slip anggota dengan: dyncrm shu issue-slips --year {year}",
    "the SHU slips of {year} were already issued on {date} by {user} ({count} slips); "
    "nothing was issued again. As issued: {where}":
        "slip SHU {year} sudah diterbitkan pada {date} oleh {user} ({count} slip); tidak ada "
        "yang diterbitkan lagi. Sebagaimana diterbitkan: {where}",
    "issued the SHU slips of {year}: {count} slips, archived as issued: {where}":
        "slip SHU {year} diterbitkan: {count} slip, diarsipkan sebagaimana diterbitkan: "
        "{where}",
    "Making slips": "Membuat slip",
    "(the slip as issued on {date}, archive {id})":
        "(slip sebagaimana diterbitkan pada {date}, arsip {id})",
    # dyncrm.archive: documents kept as sent
    "{kind} {key} was archived on {date} by {user} as it was sent, and an archived document "
    "is never changed; nothing was archived now. Reprint what was sent with 'dyncrm archive "
    "reprint {id}'":
        "{kind} {key} sudah diarsipkan pada {date} oleh {user} sebagaimana dikirim, dan "
        "dokumen arsip tidak pernah diubah; tidak ada yang diarsipkan sekarang. Cetak ulang "
        "yang dikirim dengan 'dyncrm archive reprint {id}'",
    "archived document {id} ({name} of {kind} {key}) no longer matches the hash recorded "
    "when it was archived; it has been altered in the database. Restore it from a backup":
        "dokumen arsip {id} ({name} dari {kind} {key}) tidak lagi cocok dengan hash yang "
        "dicatat saat diarsipkan; isinya telah diubah di basis data. Pulihkan dari cadangan",
    # acquire.registration: why an application cannot be accepted
    "only employees with status {statuses} may join":
        "hanya karyawan berstatus {statuses} yang dapat menjadi anggota",
    "members need at least {months} months of service with the employer":
        "anggota harus sudah bekerja paling sedikit {months} bulan di perusahaan",
}


@hookimpl
def dyncrm_translations(locale):
    """The Indonesian catalogue for ``id`` locales, with the web portal's texts."""
    if not locale.lower().startswith("id"):
        return None
    from koperasi_xyz.i18n import web_messages

    return {**web_messages(), **INDONESIAN}


def bulan(label: str) -> str:
    """``2026-03`` → ``Maret 2026`` (anything else is returned as it is)."""
    from dyncrm.templating import MONTHS_ID

    try:
        year, month = str(label).split("-")[:2]
        return f"{MONTHS_ID[int(month) - 1]} {int(year)}"
    except (ValueError, IndexError):
        return str(label)


@hookimpl
def dyncrm_prepare_jinja2_environment(env, crm):
    """The ``bulan`` filter the Indonesian templates use."""
    env.filters["bulan"] = bulan
