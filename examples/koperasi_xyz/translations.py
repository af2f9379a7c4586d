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
