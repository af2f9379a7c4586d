"""``dyncrm demo``: the Koperasi XYZ year, from nothing, in one command.

Registered in the entry-point group ``dyncrm.cli`` (commands that create a
deployment, so they cannot depend on one existing).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from dyncrm import output
from dyncrm.cli_examples import examples

from . import MAX_MEMBERS, MIN_MEMBERS, STAFF_PASSWORD


@examples("Simulate a small cooperative's year in a new folder.",
          "dyncrm demo --dir koperasi-xyz-demo --members 10",
          run=False)
@click.command("demo")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              default=Path("koperasi-xyz-demo"), show_default=True,
              help="Folder for the demo deployment (database, config, reports, cards).")
@click.option("--seed", type=int, default=2025, show_default=True,
              help="Random seed: the same seed gives the same year.")
@click.option("--members", type=click.IntRange(MIN_MEMBERS, MAX_MEMBERS), default=150,
              show_default=True,
              help=f"How many employees apply for membership ({MIN_MEMBERS} to {MAX_MEMBERS}; "
                   "500 members take about a minute, 2000 about five).")
@click.option("--force", is_flag=True, help="Replace an earlier demo in the folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def demo(directory: Path, seed: int, members: int, force: bool, as_json: bool) -> None:
    """Run Koperasi XYZ for a simulated year on SQLite and write its reports.

    Creates a fresh deployment in --dir, seeds an employee cooperative, lives
    through the fiscal year (registrations, savings, payroll deductions, loans
    decided by the credit committee, late payments, complaints, reminders,
    rewards, members leaving), closes the year with the SHU and writes the
    reports (PDF and CSV), the member cards and the outbox to the folder.
    """
    from . import YEAR, run_demo

    started = time.monotonic()
    with click.progressbar(length=12, label=f"Tahun buku {YEAR}", file=sys.stderr,
                           show_eta=False) as bar:
        summary = run_demo(directory, seed=seed, members=members, force=force,
                           progress=bar.update)
    took = time.monotonic() - started
    if as_json:

        output.emit({"directory": str(summary.directory), "year": summary.year,
                     "counts": summary.counts,
                     "amounts": summary.amounts,
                     "files": [{"name": k, "path": str(v)} for k, v in summary.files.items()],
                     "trial_balance": [{"commodity": c, "sum": n}
                                       for c, n in summary.trial_balance.items()],
                     "member_logins": summary.member_logins, "seconds": round(took, 1)})
        return
    from dyncrm.app import open_crm

    with open_crm(summary.config) as crm:
        money = {k: crm.format_money(v) for k, v in summary.amounts.items()}
    c = summary.counts
    click.echo(f"\nKoperasi Karyawan XYZ — tahun buku {summary.year} disimulasikan "
               f"dalam {took:.0f} detik.\n")
    output.kv({
        "Anggota aktif": c.get("members_active", 0),
        "Pendaftaran (disetujui / ditolak)": f"{c['applications']} ({c['approved']} / "
                                              f"{c['rejected']})",
        "Keluar": c.get("members_inactive", 0) + c.get("members_leaving", 0),
        "Simpanan pokok / wajib / sukarela": f"{money['simpanan_pokok']} / "
                                             f"{money['simpanan_wajib']} / "
                                             f"{money['simpanan_sukarela']}",
        "Pinjaman (diajukan / cair / ditolak)": f"{c['loans_applied']} / "
                                                f"{c['loans_disbursed']} / "
                                                f"{c['loans_rejected']}",
        "Sisa pokok pinjaman": money["pinjaman_beredar"],
        "Jasa pinjaman / denda": f"{money['jasa_pinjaman']} / {money['denda']}",
        "Pembayaran terlambat": c["late_payments"],
        "Kritik & saran": c["complaints"],
        "SHU dibagikan": money["shu"],
        "Pesan terkirim (outbox)": c["messages"],
        "Neraca saldo (harus 0)": ", ".join(f"{k} {v}" for k, v in
                                            summary.trial_balance.items()),
    })
    click.echo("\nBerkas:")
    click.echo(f"  konfigurasi  {summary.config}")
    click.echo(f"  laporan      {summary.directory / 'laporan'}")
    click.echo(f"  kartu        {summary.files['kartu']}")
    click.echo(f"  potong gaji  {summary.directory / 'potong-gaji'}")
    click.echo(f"  outbox       {summary.files['outbox']}")
    click.echo(f"\nLanjutkan dengan:  cd {summary.directory} && dyncrm login bendahara "
               "&& dyncrm laporan --help\n(staf demo: ketua, sekretaris, bendahara, kasir, "
               f"panitia1, panitia2; kata sandi demo: {STAFF_PASSWORD})")
    anggota = ", ".join(f"{user} ({name})" for user, name in summary.member_logins.items())
    click.echo(f"\nPortal web:  cd {summary.directory} && dyncrm serve   lalu buka "
               f"http://127.0.0.1:8080/\n(masuk sebagai staf di atas, atau sebagai anggota: "
               f"{anggota}; kata sandi yang sama)")
