"""A whole year of Koperasi XYZ, simulated through the public library API.

``run_demo`` creates a fresh SQLite deployment in a folder, seeds a plausible
employee cooperative and lives through one fiscal year day by day: people
apply and are approved by the board, pay simpanan pokok at the cashier and
simpanan wajib through payroll, transfer voluntary savings with a proof that
the cashier checks, borrow (the credit committee approves or rejects), repay
through payroll — some late, with denda —, complain and get answers, read
the FAQ, receive reminders, earn and redeem points, and a few leave.  The
year is then closed: the treasurer proposes closing the books and the chair
approves (the closing entries move income and expenses into the year's
result), the SHU is entered from the closed books, approved after the RAT by
the treasurer and the chair, and posted.  Finally the reports and member
cards are written to the folder.

Everything goes through the same functions the CLI calls, with the same
rules (four eyes, permissions, idempotency keys); only the clock is simulated.
Deterministic for a given ``seed``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import shutil
import struct
import zlib
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

import attrs
from peewee import fn

from dyncrm.app import CRM, open_crm
from dyncrm.errors import DyncrmError
from dyncrm.files import atomic_open, ensure_folder, write_atomic
from dyncrm.money import Money
from dyncrm.values import Actor

from .people import Person, people

YEAR = 2025
#: The demo's sizes.  Its cost grows with the members (a 2000-member year takes a
#: few minutes); larger cooperatives are what benchmarks/ measures, not the demo.
MIN_MEMBERS, MAX_MEMBERS = 10, 2000
MARKER = ".koperasi-xyz-demo"
STAFF = {  # user name: (roles, display name)
    "ketua": (("admin",), "Hendra Wijaya (Ketua)"),
    "sekretaris": (("secretary",), "Siti Rahayu (Sekretaris)"),
    "bendahara": (("treasurer",), "Agus Santoso (Bendahara)"),
    "kasir": (("cashier",), "Dewi Lestari (Kasir)"),
    "panitia1": (("credit_committee",), "Bambang Nugroho (Panitia Kredit)"),
    "panitia2": (("credit_committee",), "Ratna Kusuma (Panitia Kredit)"),
}
STAFF_PASSWORD = "koperasi-demo-2025"

FAQ = (
    ("Bagaimana cara mendaftar menjadi anggota?",
     "Isi formulir pendaftaran online atau di meja sekretariat dengan **NIK KTP**, nomor "
     "karyawan dan departemen. Sekretaris memeriksa kelengkapan, lalu pengurus memutuskan. "
     "Setelah disetujui, bayar simpanan pokok Rp 100.000 di kasir.", "keanggotaan"),
    ("Berapa simpanan wajib setiap bulan?",
     "Simpanan wajib Rp 50.000 per bulan, dipotong langsung dari gaji setiap tanggal 25 "
     "(potong gaji).", "simpanan"),
    ("Bisakah saya menarik simpanan wajib?",
     "Simpanan pokok dan wajib tidak dapat ditarik selama masih menjadi anggota; keduanya "
     "dikembalikan saat keluar, setelah dikurangi kewajiban. Simpanan sukarela dapat ditarik "
     "kapan saja.", "simpanan"),
    ("Berapa jasa pinjaman konsumtif?",
     "Jasa pinjaman konsumtif 1% per bulan (flat) dari pokok pinjaman, jangka waktu 1 sampai "
     "36 bulan, maksimal 3 kali simpanan dan angsuran tidak lebih dari 35% gaji bersih.",
     "pinjaman"),
    ("Apa yang terjadi jika angsuran terlambat?",
     "Angsuran yang terlambat lebih dari 5 hari dikenakan denda 2% dari angsuran per bulan. "
     "Kami mengirim pengingat sebelum jatuh tempo agar Anda tidak terlambat.", "pinjaman"),
    ("Bagaimana cara mengirim bukti transfer simpanan sukarela?",
     "Transfer ke rekening koperasi lalu unggah foto atau PDF bukti transfer. Kasir "
     "memeriksa dan membukukannya; Anda mendapat pemberitahuan setelah diverifikasi.",
     "simpanan"),
    ("Kapan SHU dibagikan?",
     "SHU dibagikan setelah Rapat Anggota Tahunan (RAT) menyetujui laporan tahun buku, dan "
     "masuk ke simpanan sukarela masing-masing anggota.", "shu"),
)

COMPLAINTS = (
    ("pinjaman", "Pencairan pinjaman lambat",
     "Pinjaman saya sudah disetujui tetapi belum cair setelah tiga hari."),
    ("simpanan", "Saldo simpanan tidak sesuai",
     "Potongan gaji bulan ini belum tercatat di saldo simpanan wajib saya."),
    ("layanan", "Jam layanan kasir",
     "Mohon kasir buka sampai jam 17.00 agar karyawan shift bisa setor."),
    ("aplikasi", "Kartu anggota digital",
     "Apakah kartu anggota bisa ditampilkan di ponsel?"),
    ("lainnya", "Usul program beasiswa anak anggota",
     "Usul agar dana pendidikan dipakai untuk beasiswa anak anggota."),
)


@attrs.frozen
class DemoSummary:
    """What the simulated year produced, for the closing summary."""

    directory: Path
    config: Path
    year: int
    counts: dict[str, int]
    amounts: dict[str, Money]
    files: dict[str, Path]
    trial_balance: dict[str, int]
    member_logins: dict[str, str] = attrs.field(factory=dict)  # user name -> member's name


def _tiny_png(seed: str) -> bytes:
    """A valid 8×8 PNG (a stand-in for a photographed transfer slip), one per ``seed``:
    each transfer has a proof of its own (the same file twice would need the cashier's
    confirmation that it is another transfer)."""
    noise = b"".join(hashlib.sha256(f"{seed}:{i}".encode()).digest() for i in range(6))
    raw = b"".join(b"\x00" + noise[y * 24:(y + 1) * 24] for y in range(8))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def prepare_folder(directory: Path, *, force: bool) -> None:
    """Create an empty demo folder; with ``force`` replace an earlier demo (only a demo)."""
    if directory.exists() and any(directory.iterdir()):
        if not force:
            raise DyncrmError(f"{directory} already exists and is not empty; use --force to "
                              "replace an earlier demo, or choose another --dir")
        if not (directory / MARKER).exists():
            raise DyncrmError(f"{directory} does not hold an earlier demo; refusing to delete "
                              "it even with --force")
        shutil.rmtree(directory)
    ensure_folder(directory)
    write_atomic(directory / MARKER, "made by dyncrm demo; safe to delete\n")


def write_config(directory: Path, rng: random.Random) -> Path:
    """The deployment's dyncrm.toml, with a card-signing secret for this demo."""
    text = (files("koperasi_xyz") / "dyncrm.toml").read_text(encoding="utf-8")
    secret = "".join(rng.choice("0123456789abcdef") for _ in range(40))
    marker = '# secret = { "$env" = "KOPERASI_XYZ_CARD_SECRET" }'
    if marker in text:
        text = text.replace(marker, f'secret = "{secret}"   # demo only: use $env in production')
    return write_atomic(directory / "dyncrm.toml", text)


class Simulation:
    """The running year: the CRM, the clock, the cast and the random choices."""

    def __init__(self, crm: CRM, rng: random.Random, cast: list[Person]) -> None:
        self.crm = crm
        self.rng = rng
        self.waiting = list(cast)  # employees who have not applied yet
        self.day = dt.date(YEAR, 1, 2)
        crm.set_clock(lambda: dt.datetime.combine(self.day, dt.time(3, 0)))
        self.staff = {name: crm.trusted_actor(name) for name in STAFF}
        self.system = Actor.operator("demo")
        self.member_actor: dict[int, Actor] = {}
        self.person_of: dict[int, Person] = {}
        self.late_payers: set[int] = set()
        self.paid_pokok: set[int] = set()
        self.payroll_folder = Path(crm.config.base_dir) / "potong-gaji"
        self.counts: dict[str, int] = dict.fromkeys((
            "applications", "approved", "rejected", "sukarela_transfers",
            "transfers_rejected", "loans_applied", "loans_approved", "loans_rejected",
            "loans_disbursed", "late_payments", "early_payoffs", "complaints", "faq_views",
            "redemptions", "leavers", "payroll_batches"), 0)

    # -- helpers -------------------------------------------------------------

    def at(self, day: dt.date) -> None:
        """Move the clock to ``day`` (never backwards)."""
        self.day = max(self.day, day)

    def active_ids(self) -> list[int]:
        from dyncrm.db.models import Member

        return [m.id for m in Member.select(Member.id).where(Member.stage == "active")
                .order_by(Member.id)]

    def months_of_membership(self, member_id: int) -> int:
        joined = self.crm.member(member_id).joined_on or self.day
        return (self.day.year - joined.year) * 12 + self.day.month - joined.month \
            - (self.day.day < joined.day)

    def money(self, amount: int | str) -> Money:
        return Money.of(amount, self.crm.currency)

    # -- acquire -------------------------------------------------------------

    def registrations(self, count: int) -> None:
        """``count`` employees apply; the secretary checks, the board decides."""
        from dyncrm_acquire.referrals import referral_code
        from dyncrm_acquire.registration import applications

        actives = self.active_ids()
        for _ in range(min(count, len(self.waiting))):
            person = self.waiting.pop(0)
            referral = None
            if actives and self.rng.random() < 0.3:
                referral = referral_code(self.rng.choice(actives))
            actor = self.staff["sekretaris"] if self.rng.random() < 0.5 else \
                Actor.public()
            outcome = applications.submit(self.crm, person.application(referral), actor,
                                          key=f"demo-apply:{person.nik}")
            self.counts["applications"] += 1
            app_id = outcome.application.id
            applications.accept(self.crm, app_id, self.staff["sekretaris"])
            if self.rng.random() < 0.06:
                applications.reject(self.crm, app_id, self.staff["ketua"],
                                    reason="Masa kerja dan status kepegawaian belum memenuhi "
                                           "syarat AD/ART")
                self.counts["rejected"] += 1
                continue
            approval = applications.approve(self.crm, app_id, self.staff["ketua"])
            member_id = approval.member.id
            self.counts["approved"] += 1
            self.person_of[member_id] = person
            self.member_actor[member_id] = self.crm.actor(approval.username)
            if self.rng.random() < 0.15:
                self.late_payers.add(member_id)

    def opening_balances(self, member_ids: list[int]) -> None:
        """Founding members bring the voluntary savings kept so far in the paper ledger."""
        from dyncrm_expand import savings

        for member_id in member_ids:
            amount = self.rng.randrange(500_000, 8_000_001, 50_000)
            savings.deposit(self.crm, self.staff["kasir"], member_id, "sukarela", str(amount),
                            method="cash", reference=f"SALDO-AWAL-{member_id}",
                            note="saldo awal dari buku simpanan manual")

    def pay_pokok(self, member_ids: list[int]) -> None:
        """New members pay simpanan pokok in cash at the cashier."""
        from dyncrm_expand import savings

        for member_id in member_ids:
            savings.deposit(self.crm, self.staff["kasir"], member_id, "pokok", "100000",
                            method="cash", reference=f"POKOK-{member_id}")

    def promotions(self) -> list[int]:
        """Two campaigns: loans for members without one, and member-get-member."""
        from dyncrm_acquire.promotion import promotions

        sekretaris = self.staff["sekretaris"]
        loan = promotions.add(
            self.crm, sekretaris, title="Pinjaman Konsumtif jasa 1% flat",
            body="Halo {{ member.name }}, butuh dana untuk keperluan keluarga? Pinjaman "
                 "konsumtif Koperasi XYZ hanya jasa 1% per bulan, potong gaji.",
            audience="without_loan", starts_on=dt.date(YEAR, 2, 1),
            ends_on=dt.date(YEAR, 6, 30), product="konsumtif")
        mgm = promotions.add(
            self.crm, sekretaris, title="Ajak rekan kerja jadi anggota",
            body="Bagikan kode referal Anda; setiap rekan yang menjadi anggota memberi Anda "
                 "50 poin.", audience="everyone", starts_on=dt.date(YEAR, 2, 1),
            ends_on=dt.date(YEAR, 12, 31))
        return [loan.id, mgm.id]

    def push_promotions(self, ids: list[int]) -> None:
        from dyncrm_acquire.promotion import promotions

        for promo_id in ids:
            promotions.push(self.crm, promo_id, self.staff["sekretaris"])
            for member_id in self.active_ids():
                if member_id in self.member_actor and self.rng.random() < 0.35:
                    promotions.track(self.crm, promo_id, member_id, "viewed",
                                     self.member_actor[member_id])

    # -- savings ---------------------------------------------------------------

    def sukarela_transfers(self) -> None:
        """Some members transfer voluntary savings with a proof; the cashier checks it."""
        from dyncrm_expand import savings

        for member_id in self.active_ids():
            if self.rng.random() >= 0.08 or member_id not in self.member_actor:
                continue
            amount = self.rng.choice((100_000, 250_000, 500_000, 1_000_000))
            ref = f"TRF-{self.day:%Y%m%d}-{member_id}"
            result = savings.deposit(self.crm, self.member_actor[member_id], member_id,
                                     "sukarela", str(amount), method="transfer",
                                     reference=ref, proof=_tiny_png(ref))
            self.counts["sukarela_transfers"] += 1
            if self.rng.random() < 0.1:
                savings.reject_deposit(self.crm, self.staff["kasir"], result.id,
                                       "Bukti transfer tidak terbaca; mohon unggah ulang")
                self.counts["transfers_rejected"] += 1
            else:
                savings.verify_deposit(self.crm, self.staff["kasir"], result.id)

    def withdrawals(self) -> None:
        """A few members take out part of their voluntary savings."""
        from dyncrm_expand import savings

        for member_id in self.active_ids():
            if self.rng.random() >= 0.03:
                continue
            balance = savings.balance(self.crm, member_id, "sukarela")
            if balance.amount >= 200_000:
                amount = (balance.amount // 2 // 1000) * 1000
                savings.withdraw(self.crm, self.staff["kasir"], member_id, str(amount),
                                 reference=f"TARIK-{self.day:%Y%m%d}-{member_id}")

    # -- loans ---------------------------------------------------------------

    def loan_applications(self) -> None:
        """Members without a loan apply; the committee decides; the treasurer pays out."""
        from dyncrm_expand import savings
        from dyncrm_expand.loans import lifecycle as loan_lifecycle
        from dyncrm_expand.loans import queries as loan_queries

        busy = {loan.member_id for loan in loan_queries.list_loans(self.crm)
                if loan.stage in ("submitted", "approved", "disbursed")}
        for member_id in self.active_ids():
            if member_id in busy or self.rng.random() >= 0.07:
                continue
            months = self.months_of_membership(member_id)
            if months < 3:
                continue  # members know the rules: three months of membership first
            saved = sum(int(m.amount) for m in savings.balances(self.crm, member_id).values())
            product = "multiguna" if months >= 12 and self.rng.random() < 0.3 else "konsumtif"
            multiple = 3 if product == "konsumtif" else 5
            ceiling = saved * multiple // 100_000 * 100_000
            if ceiling < 1_000_000:
                continue  # not enough savings yet to borrow a useful amount
            if self.rng.random() < 0.15:  # some ask for more than the rules allow
                ceiling = ceiling * 2
            amount = self.rng.randrange(1_000_000, ceiling + 1, 100_000)
            term = self.rng.choice((6, 10, 12, 18, 24) if product == "konsumtif"
                                   else (12, 24, 36))
            purpose = self.rng.choice(("biaya sekolah anak", "renovasi rumah", "biaya "
                                       "kesehatan", "modal usaha keluarga", "kendaraan"))
            loan, _ = loan_lifecycle.apply(
                self.crm, self.staff["sekretaris"], member_id, product, self.money(amount),
                term=term, purpose=purpose, reference=f"FORM-{self.day:%Y%m%d}-{member_id}")
            self.counts["loans_applied"] += 1
            committee = self.staff[self.rng.choice(("panitia1", "panitia2"))]
            if loan.reasons:
                loan_lifecycle.reject(self.crm, committee, loan.id,
                                      reason="; ".join(loan.reasons))
                self.counts["loans_rejected"] += 1
                continue
            if self.rng.random() < 0.08:
                loan_lifecycle.reject(self.crm, committee, loan.id,
                                      reason="Kemampuan bayar belum memadai menurut analisis 5C")
                self.counts["loans_rejected"] += 1
                continue
            decided = loan_lifecycle.approve(self.crm, committee, loan.id,
                                             reason="Memenuhi syarat; riwayat simpanan baik")
            if not decided.approval.complete:  # above the quorum's amount: the other member
                other = "panitia2" if committee.username == "panitia1" else "panitia1"
                loan_lifecycle.approve(self.crm, self.staff[other], loan.id,
                                       reason="Setuju; dua anggota panitia kredit")
            self.counts["loans_approved"] += 1
            loan_lifecycle.disburse(self.crm, self.staff["bendahara"], loan.id,
                                    method="transfer", reference=f"CAIR-{loan.id}")
            self.counts["loans_disbursed"] += 1

    def late_settlements(self) -> None:
        """Members whose payroll line failed pay what is overdue in cash, with denda."""
        from dyncrm_expand import savings
        from dyncrm_expand.loans import queries as loan_queries
        from dyncrm_expand.loans import repayment as loan_repayment

        overdue = loan_queries.overdue(self.crm, self.day)
        owed: dict[int, int] = {}
        for item in overdue:
            owed[item.loan_id] = owed.get(item.loan_id, 0) + int(
                (item.unpaid + item.penalty).amount)
        for loan_id, units in sorted(owed.items()):
            loan_repayment.repay(self.crm, self.staff["kasir"], loan_id, self.money(units),
                                 method="cash", reference=f"TELAT-{self.day:%Y%m}-{loan_id}")
            self.counts["late_payments"] += 1
        for member_id, arrears in savings.arrears_by_member(self.crm, self.day).items():
            if arrears.amount > 0:
                savings.deposit(self.crm, self.staff["kasir"], member_id, "wajib",
                                str(arrears.amount), method="cash",
                                reference=f"WAJIB-TELAT-{self.day:%Y%m}-{member_id}")

    def early_payoffs(self) -> None:
        """Two members settle their loans early."""
        from dyncrm_expand.loans import queries as loan_queries
        from dyncrm_expand.loans import repayment as loan_repayment

        disbursed = [loan for loan in loan_queries.list_loans(self.crm, stage="disbursed")]
        for loan in self.rng.sample(disbursed, min(2, len(disbursed))):
            quote = loan_repayment.payoff_quote(self.crm, loan.id, self.day)
            loan_repayment.repay(self.crm, self.staff["kasir"], loan.id, quote.total,
                                 method="transfer", reference=f"LUNAS-{loan.id}", payoff=True)
            self.counts["early_payoffs"] += 1

    # -- payroll -----------------------------------------------------------------

    def payroll(self, month: dt.date, folder: Path) -> None:
        """HR deducts the month's list and confirms it; a few employees' deductions fail.

        The secretary sends the month's list to the payroll office (``dyncrm payroll
        send``: archived as sent) and its CSV, as archived, is the file HR receives; the
        office sends it back with ``jumlah_dipotong`` filled in for the lines it
        deducted, and the treasurer imports that confirmation (all lines or none, once
        per batch), checked against the list as sent.
        """
        import csv

        from dyncrm import archive
        from koperasi_xyz.payroll import export as payroll_export
        from koperasi_xyz.payroll import importer as payroll_import
        from koperasi_xyz.payroll.sent import send

        done = send(self.crm, self.staff["sekretaris"], month)
        dlist = done.dlist
        archive.reprint(self.crm, done.file("csv"),
                        folder / f"daftar-potongan-{dlist.label}.csv")
        confirmed = []
        for row in payroll_export.rows(dlist):
            line_member = row["nomor_anggota"]
            member_id = self.crm.member(line_member).id
            if member_id in self.late_payers and self.rng.random() < 0.4:
                continue  # not enough salary this month: deducted nothing
            confirmed.append({**row, "jumlah_dipotong": row["jumlah_potongan"]})
        if not confirmed:
            return
        path = folder / f"konfirmasi-potongan-{dlist.label}.csv"
        with atomic_open(path, "w", newline="", encoding="utf-8-sig") as fh:
            writer = csv.DictWriter(fh, fieldnames=payroll_export.COLUMNS)
            writer.writeheader()
            writer.writerows(confirmed)
        payroll_import.import_confirmation(self.crm, self.staff["bendahara"], path,
                                           batch=f"HR-{month:%Y%m}", month=month)
        self.counts["payroll_batches"] += 1

    # -- retain --------------------------------------------------------------

    def faq(self) -> None:
        from dyncrm_retain.faq import store as faq_store

        for order, (question, answer, category) in enumerate(FAQ, start=1):
            faq_store.add(self.crm, self.staff["sekretaris"], question=question, answer=answer,
                          category=category, order=order, published=True,
                          key=f"demo-faq:{order}")

    def read_faq(self) -> None:
        from dyncrm_retain.faq import search as faq_search
        from dyncrm_retain.faq import store as faq_store

        for member_id in self.active_ids():
            if self.rng.random() < 0.05 and member_id in self.member_actor:
                actor = self.member_actor[member_id]
                hits = faq_search.search(self.crm, self.rng.choice(
                    ("simpanan wajib", "denda", "pinjaman", "transfer", "SHU")),
                    published_only=True)
                if hits:
                    faq_store.view(self.crm, actor, hits[0].id)
                    faq_store.vote(self.crm, actor, hits[0].id, self.rng.random() < 0.85)
                    self.counts["faq_views"] += 1

    def complaints(self) -> None:
        """A few members complain or suggest; the secretary handles it to the end."""
        from dyncrm_retain.feedback import tickets

        actives = [m for m in self.active_ids() if m in self.member_actor]
        for _ in range(self.rng.randint(1, 3)):
            if not actives:
                return
            member_id = self.rng.choice(actives)
            category, subject, text = self.rng.choice(COMPLAINTS)
            actor = self.member_actor[member_id]
            result = tickets.submit(self.crm, actor, category=category, subject=subject,
                                    text=text, kind="complaint" if category != "lainnya"
                                    else "suggestion")
            self.counts["complaints"] += 1
            number = result.ticket.number
            sekretaris = self.staff["sekretaris"]
            tickets.acknowledge(self.crm, sekretaris, number,
                                text="Terima kasih, laporan Anda sedang kami periksa.")
            tickets.start(self.crm, sekretaris, number)
            tickets.reply(self.crm, sekretaris, number,
                          "Kami sudah menindaklanjuti dengan bagian terkait.")
            tickets.resolve(self.crm, sekretaris, number,
                            resolution="Sudah ditindaklanjuti dan dikonfirmasi ke anggota.")
            tickets.rate(self.crm, actor, number, self.rng.choice((3, 4, 4, 5, 5)))

    # -- leaving -----------------------------------------------------------------

    def leavers(self, count: int) -> list[int]:
        """A few members resign (new job, moving away); the board approves."""
        from dyncrm_expand import deactivation
        from dyncrm_expand.loans import queries as loan_queries

        with_loan = {loan.member_id for loan in loan_queries.list_loans(self.crm)
                     if loan.stage in ("submitted", "approved", "disbursed")}
        candidates = [m for m in self.active_ids() if m not in with_loan]
        requests = []
        for member_id in self.rng.sample(candidates, min(count, len(candidates))):
            request = deactivation.request_leave(
                self.crm, self.staff["sekretaris"], member_id,
                self.rng.choice(("Pindah kerja ke perusahaan lain", "Pindah domisili",
                                 "Pensiun dini")))
            approved = deactivation.approve_leave(self.crm, self.staff["bendahara"], request.id)
            requests.append(approved.id)
            self.counts["leavers"] += 1
        return requests

    def pay_refunds(self, request_ids: list[int]) -> None:
        from dyncrm_expand import deactivation

        for request_id in request_ids:
            deactivation.pay_refund(self.crm, self.staff["bendahara"], request_id,
                                    method="transfer", reference=f"REFUND-{request_id}")

    # -- rewards -----------------------------------------------------------------

    def redemptions(self) -> None:
        """Members with enough points collect a gift the counter still has in stock.

        The catalogue is finite: once an item runs out, members choose among what
        is left (or go home with their points), as at a real counter.
        """
        from dyncrm_expand import rewards

        stock = {e.code: e for e in rewards.catalogue(self.crm)}
        for member_id in self.active_ids():
            if self.rng.random() >= 0.5:
                continue
            points = int(rewards.balance(self.crm, member_id).amount)
            choices = sorted(code for code, e in stock.items()
                             if e.stock_left > 0 and e.points <= points)
            if not choices:
                continue
            code = self.rng.choice(choices)
            rewards.redeem(self.crm, self.staff["kasir"], member_id, code,
                           reference=f"TUKAR-{member_id}")
            stock[code] = attrs.evolve(stock[code], stock_left=stock[code].stock_left - 1)
            self.counts["redemptions"] += 1

    # -- daily jobs ----------------------------------------------------------------

    def daily_jobs(self) -> None:
        """What cron runs every morning: every plugin's scheduled jobs (reminders...)."""
        for jobs in self.crm.hook.dyncrm_scheduled_jobs(crm=self.crm):
            for job in jobs or []:
                job.run(self.crm, self.day)


def _every_day(start: dt.date, end: dt.date):
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def simulate_year(sim: Simulation, members: int, *, progress: Callable[[int], None] | None
                  ) -> None:
    """Live through the fiscal year, month by month."""
    founding = max(1, members * 55 // 100)  # the employees who join in the first month
    later = members - founding
    monthly_new = [0] * 13
    for i in range(later):
        monthly_new[2 + i % 10] += 1
    sim.faq()
    promo_ids: list[int] = []
    leave_requests: list[int] = []
    for month in range(1, 13):
        first = dt.date(YEAR, month, 1)
        last = (first.replace(month=month % 12 + 1, day=1) if month < 12
                else dt.date(YEAR + 1, 1, 1)) - dt.timedelta(days=1)
        for day in _every_day(first, last):
            sim.at(day)
            if day.day == 2:
                sim.registrations(founding if month == 1 else monthly_new[month])
            if day.day == 5:
                joined = [m for m in sim.active_ids() if m not in sim.paid_pokok]
                sim.pay_pokok(joined)
                sim.paid_pokok.update(joined)
                if month == 1:
                    sim.opening_balances(joined)
                if month > 1:
                    sim.late_settlements()
            if day.day == 8 and month == 2:
                promo_ids = sim.promotions()
                sim.push_promotions(promo_ids)
            if day.day == 10:
                sim.sukarela_transfers()
            if day.day == 12:
                sim.loan_applications()
            if day.day == 15:
                sim.read_faq()
                sim.withdrawals()
            if day.day == 18:
                sim.complaints()
            if day.day == 25:
                sim.payroll(first, sim.payroll_folder)
            if month == 9 and day.day == 20:
                leave_requests = sim.leavers(3)
            if month == 10 and day.day == 28:
                sim.early_payoffs()
            if month == 10 and day.day == 22:
                sim.pay_refunds(leave_requests)
            sim.daily_jobs()
        if progress is not None:
            progress(1)


def close_year(sim: Simulation) -> Money:
    """Tutup buku: the treasurer proposes closing the year and the chair approves (the
    closing entries move income and expenses into SHU tahun berjalan); the SHU is
    entered from the closed books, the RAT approves it, the shares are posted and the
    members' slips issued (archived as issued)."""
    from dyncrm import periods
    from koperasi_xyz.shu import issued as shu_issued
    from koperasi_xyz.shu import service as shu_service

    crm = sim.crm
    for day in _every_day(dt.date(YEAR + 1, 1, 1), dt.date(YEAR + 1, 1, 5)):
        sim.at(day)  # the January jobs book what belongs to December (savings interest)
        sim.daily_jobs()
    periods.close(crm, sim.staff["bendahara"], str(YEAR), reason=f"tutup buku {YEAR}")
    periods.close(crm, sim.staff["ketua"], str(YEAR))
    surplus = shu_service.enter_surplus(crm, YEAR, None, sim.staff["bendahara"]).amount
    sim.at(dt.date(YEAR + 1, 2, 21))  # RAT
    shu_service.approve(crm, YEAR, sim.staff["bendahara"], rat_date=sim.day)
    shu_service.approve(crm, YEAR, sim.staff["ketua"], rat_date=sim.day)
    sim.at(dt.date(YEAR + 1, 3, 2))
    shu_service.post(crm, YEAR, sim.staff["bendahara"])
    shu_issued.issue(crm, sim.staff["bendahara"], YEAR)  # the slips, archived as issued
    sim.daily_jobs()  # the yearly rewards (a full year of wajib) are awarded by now
    sim.redemptions()  # members collect their gifts at the RAT
    return surplus


def write_outputs(sim: Simulation, directory: Path) -> dict[str, Path]:
    """Reports (PDF + CSV), the member card sheet, one SHU slip (as issued); delivers the
    outbox."""
    from dyncrm_acquire import member_card

    crm = sim.crm
    written: dict[str, Path] = {}
    cards = directory / "kartu"
    _, pdf = member_card.sheet_file(crm, sim.staff["sekretaris"])
    write_atomic(cards / "kartu-anggota.pdf", pdf)
    written["kartu"] = cards / "kartu-anggota.pdf"
    written.update(write_reports(crm, sim, directory / "laporan"))
    written.update(write_slip(crm, directory / "slip-shu"))
    crm.outbox.deliver()
    written["outbox"] = crm.config.resolve(crm.config.notify.file_directory)
    return written


def write_slip(crm: CRM, folder: Path) -> dict[str, Path]:
    """The first member's SHU slip of the year, as issued (from the archive)."""
    from dyncrm import archive
    from koperasi_xyz.shu.issued import issued

    slips = issued(crm, YEAR)
    if slips is None or not slips.index["slips"]:
        return {}
    first = slips.archived.file(slips.index["slips"][0]["file"])
    return {"slip_shu": archive.reprint(crm, first, folder / first.name)}


def write_reports(crm: CRM, sim: Simulation, folder: Path) -> dict[str, Path]:
    """Every Koperasi XYZ report as PDF and CSV (see ``koperasi_xyz.reports``)."""
    from koperasi_xyz import reports

    paths = reports.all_reports(crm, folder, as_of=dt.date(YEAR, 12, 31),
                                since=dt.date(YEAR, 1, 1), until=dt.date(YEAR, 12, 31),
                                month=dt.date(YEAR, 12, 1), year=YEAR)
    return {p.stem: p for p in paths if p.suffix == ".pdf"}


def run_demo(directory: Path, *, seed: int = 2025, members: int = 150, force: bool = False,
             progress: Callable[[int], None] | None = None) -> DemoSummary:
    """Create the demo deployment in ``directory`` and live through a year (see module doc)."""
    if not MIN_MEMBERS <= members <= MAX_MEMBERS:
        raise DyncrmError(f"the demo runs with {MIN_MEMBERS} to {MAX_MEMBERS} members, "
                          f"not {members}")
    rng = random.Random(seed)
    directory = Path(directory)
    prepare_folder(directory, force=force)
    config = write_config(directory, rng)
    crm = open_crm(config)
    try:
        crm.upgrade()
        with crm.action("demo.staff", Actor.operator("demo")):
            for name, (roles, display) in STAFF.items():
                crm.users.add(name, roles=list(roles), password=STAFF_PASSWORD,
                              display_name=display)
        departments = crm.plugin_config("acquire.registration").departments
        cast = list(people(rng, members + members // 10, tuple(departments),
                           before=dt.date(YEAR, 1, 1)))
        sim = Simulation(crm, rng, cast)
        simulate_year(sim, members, progress=progress)
        surplus = close_year(sim)
        logins = add_member_logins(crm)
        written = write_outputs(sim, directory)
        summary = summarise(sim, directory, config, surplus, written)
        return attrs.evolve(summary, member_logins=logins)
    finally:
        crm.set_clock(None)
        crm.close()


#: How many members get a portal login in the demo (anggota1, anggota2, ...).
MEMBER_LOGINS = 3


def add_member_logins(crm) -> dict[str, str]:
    """Portal logins ``anggota1``… for the first active members, with the demo password.

    Members who borrowed come first, so a demo login shows a loan schedule too.
    """
    from dyncrm.db.models import Member
    from dyncrm_expand.loans.models import Loan

    borrowers = Loan.select(Loan.member).distinct()
    active = Member.select().where(Member.stage == "active")
    chosen = (list(active.where(Member.id.in_(borrowers)).order_by(Member.id)
                   .limit(MEMBER_LOGINS))
              + list(active.where(Member.id.not_in(borrowers)).order_by(Member.id)
                     .limit(MEMBER_LOGINS)))[:MEMBER_LOGINS]
    logins = {}
    with crm.action("demo.member_logins", Actor.operator("demo")):
        for number, member in enumerate(chosen, start=1):
            username = f"anggota{number}"
            crm.users.add(username, roles=["member"], password=STAFF_PASSWORD,
                          member_id=member.id, display_name=member.name)
            logins[username] = member.name
    return logins


def summarise(sim: Simulation, directory: Path, config: Path, surplus: Money,
              written: dict[str, Path]) -> DemoSummary:
    """Totals for the closing summary, each read back from the ledger."""
    from dyncrm.db.models import Member, OutboxMessage

    crm = sim.crm
    totals = crm.ledger.totals_by_kind()
    cur = crm.currency

    def total(kind: str) -> Money:
        return crm.ledger_money(totals.get((kind, cur), 0))

    def earned(kind: str) -> Money:  # in the year, before the closing entries took it
        from dyncrm.db.models import Account, JournalEntry, Posting
        from dyncrm.periods import CLOSING_KINDS

        units = (Posting.select(fn.COALESCE(fn.SUM(Posting.amount), 0)).join(Account)
                 .switch(Posting).join(JournalEntry)
                 .where(Account.kind == kind, Posting.commodity == cur,
                        JournalEntry.kind.not_in(CLOSING_KINDS)).scalar())
        return crm.ledger_money(-int(units or 0))

    stages: dict[str, int] = {}
    for row in Member.select(Member.stage).tuples():
        stages[row[0]] = stages.get(row[0], 0) + 1
    counts = dict(sim.counts)
    counts.update({f"members_{k}": v for k, v in stages.items()})
    counts["messages"] = OutboxMessage.select().count()
    amounts: dict[str, Money] = {
        "simpanan_pokok": total("savings.pokok"),
        "simpanan_wajib": total("savings.wajib"),
        "simpanan_sukarela": total("savings.sukarela"),
        "pinjaman_beredar": total("loans.principal"),
        "jasa_pinjaman": earned("income.loan_interest"),
        "denda": earned("income.loan_penalty"),
        "shu": surplus,
    }
    return DemoSummary(directory=directory, config=config, year=YEAR, counts=counts,
                       amounts=amounts, files=written, trial_balance=crm.ledger.trial_balance())


__all__ = ["DemoSummary", "run_demo"]
