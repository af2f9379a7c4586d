"""``dyncrm savings ...``: deposits, transfers to verify, withdrawals, balances, arrears."""

from __future__ import annotations

from pathlib import Path

import click

from dyncrm import output
from dyncrm.cli import examples, json_option, pass_actor, subgroup
from dyncrm.cli_receipts import print_receipt, receipt_number, receipt_option
from dyncrm.dates import as_date as _day
from dyncrm.db.models import Member
from dyncrm.files import atomic_open
from dyncrm.i18n import N_, gettext
from dyncrm.money import Money
from dyncrm.params import AMOUNT, DATE, YEAR
from dyncrm_expand import savings
from dyncrm_expand.savings.cli_passbook import passbook_cmd
from dyncrm_expand.savings.config import METHODS, PRODUCTS
from dyncrm_expand.savings.deposits import DuplicateProof, same_proof, same_proofs
from dyncrm_expand.savings.wajib import month_label, parse_month

#: A deposit's statuses as sentences name them (message ids, translated inside them).
DEPOSIT_STATUS_WORDS = (N_("pending"), N_("posted"), N_("rejected"), N_("reversed"))


def _who(member) -> str:
    return member.number or f"#{member.id}"


def _deposit_row(crm, d, members: dict[int, Member] | None = None) -> dict:
    member = (members or {}).get(d.member_id) or crm.member_row(d.member_id)
    proof = savings.proof_path(crm, d)
    return {"id": d.id, "member": _who(member), "name": member.name, "product": d.product,
            "amount": crm.format_money(d.amount), "method": d.method, "date": d.on,
            "reference": d.reference, "status": d.status, "recorded by": d.recorded_by,
            "proof": str(proof) if proof else ""}


@examples("dyncrm --as kasir savings deposit XYZ-2025-00003 sukarela 100.000 --method cash "
          "--ref KW-0101")
@click.command("deposit")
@click.argument("member_ref", metavar="MEMBER")
@click.argument("product")
@click.argument("amount", type=AMOUNT)
@click.option("--method", type=click.Choice(METHODS), required=True,
              help="cash (till), transfer (needs --proof, verified later) or payroll.")
@click.option("--ref", "reference", required=True,
              help="Receipt, transfer or batch reference; the same reference never posts twice.")
@click.option("--proof", type=click.Path(dir_okay=False, path_type=Path),
              help="Photo or PDF of the transfer (JPEG, PNG or PDF).")
@click.option("--date", "on", type=DATE, help="Date of the deposit (default: today).")
@click.option("--note", default="", help="A note kept with the deposit.")
@receipt_option
@json_option
@pass_actor
def deposit_cmd(crm, actor, member_ref, product, amount, method, reference, proof, on, note,
                as_json):
    """Record a deposit of AMOUNT to MEMBER's PRODUCT (pokok, wajib or sukarela)."""
    member = crm.member(member_ref)
    result = savings.deposit(crm, actor, member.id, product, amount, method=method,
                             reference=reference, on=_day(on), proof=proof, note=note)
    print_receipt(crm, result.entry_id, replayed=result.replayed)
    if as_json:
        output.emit(result)
        return
    # a message id: said in the deployment's language inside the sentence it is put in
    what = N_("{amount} to {product} of {member}").format(
        amount=crm.format_money(result.amount),
        product=savings.product_name(crm, result.product), member=f"{_who(member)} {member.name}")
    if result.replayed:  # its status, a word of DEPOSIT_STATUS_WORDS, said as one
        click.echo(f"already recorded: deposit #{result.id} ({what}, reference "
                   f"{result.reference}, {result.status}); nothing changed")
    elif result.status == "pending":
        click.echo(f"recorded transfer #{result.id}: {what}; waiting for a cashier to verify "
                   f"it (dyncrm savings verify {result.id})")
    else:
        click.echo(f"posted deposit #{result.id}: {what} (ledger entry {result.entry_id})")
    if result.duplicate_proof_of and not result.replayed:
        others = ", ".join(f"#{i}" for i in result.duplicate_proof_of)
        click.echo(f"warning: the proof is the same file as the proof of deposit {others}; "
                   "the cashier has to confirm it is another transfer before verifying it",
                   err=True)


@examples("dyncrm --as kasir savings pending")
@click.command("pending")
@json_option
@pass_actor
def pending_cmd(crm, actor, as_json):
    """List transfers waiting for verification, oldest first."""
    crm.require(actor, "savings.verify")
    found = savings.pending_deposits(crm)
    members = {m.id: m for m in Member.select().where(
        Member.id.in_({d.member_id for d in found}))} if found else {}
    rows = [_deposit_row(crm, d, members) for d in found]
    same = same_proofs(crm, [d.id for d in found])
    for row in rows:
        row["same proof as"] = ", ".join(f"#{u.deposit_id}" for u in same.get(row["id"], ()))
    if as_json:
        output.emit([{output.snake_key(k): v for k, v in row.items()} for row in rows])
    else:
        output.table(rows, ["id", "member", "name", "product", "amount", "date", "reference",
                            "recorded by", "proof", "same proof as"], align_right=["amount"],
                     empty="no transfers are waiting for verification")


@examples("dyncrm --as kasir savings show 1")
@click.command("show")
@click.argument("deposit_id", type=int)
@json_option
@pass_actor
def show_cmd(crm, actor, deposit_id, as_json):
    """Show one deposit, with where its proof file is stored."""
    found = savings.get_deposit(crm, deposit_id)
    if actor.member_id != found.member_id:
        crm.require(actor, "savings.view")
    row = _deposit_row(crm, found)
    row.update({"note": found.note, "decided by": found.decided_by or "",
                "reject reason": found.reject_reason or "", "entry": found.entry_id or "",
                "proof name": found.proof_name or "", "proof type": found.proof_type or "",
                "proof sha256": found.proof_sha256 or ""})
    others = same_proof(crm, found.id)
    if as_json:
        row["same proof as"] = [output.plain(u) for u in others]
        output.emit({output.snake_key(k): v for k, v in row.items()})
        return
    row["same proof as"] = "; ".join(u.describe(crm.format_money) for u in others)
    output.kv(row)


@examples("dyncrm --as kasir savings verify 12")
@click.command("verify")
@click.argument("deposit_id", type=int)
@click.option("--confirm-duplicate-proof", "confirm", is_flag=True,
              help="The proof is the same file as another deposit's, and you have checked "
                   "the bank statement: this is another transfer. Recorded with your name.")
@receipt_option
@json_option
@pass_actor
def verify_cmd(crm, actor, deposit_id, confirm, as_json: bool):
    """Post a pending transfer after checking its proof (not your own)."""
    try:
        result = savings.verify_deposit(crm, actor, deposit_id, confirm_duplicate_proof=confirm)
    except DuplicateProof as exc:
        raise DuplicateProof(exc.deposit_id, exc.others, crm.format_money,
                             hint=f"dyncrm savings verify {deposit_id} "
                                  "--confirm-duplicate-proof") from None
    print_receipt(crm, result.entry_id, replayed=result.replayed)
    if result.replayed:
        message = (f"deposit #{result.id} was already posted (ledger entry {result.entry_id}); "
                   "nothing changed")
    else:
        message = (f"verified deposit #{result.id}: {crm.format_money(result.amount)} posted "
                   f"to {savings.product_name(crm, result.product)} (ledger entry "
                   f"{result.entry_id})")
        if confirm and same_proof(crm, result.id):
            message += (f"\nrecorded: {actor.username} confirmed that its proof, the same file "
                        "as another deposit's, is another transfer")
    output.action(as_json, message, replayed=result.replayed, deposit_id=result.id,
                  entry_id=result.entry_id, amount=result.amount, product=result.product,
                  receipt_number=receipt_number(crm, result.entry_id))


@examples("dyncrm --as kasir savings reject 12 --reason \"the transfer is not on the bank "
          "statement\"",
          run=False)
@click.command("reject")
@click.argument("deposit_id", type=int)
@click.option("--reason", required=True, help="Why; the member is told.")
@json_option
@pass_actor
def reject_cmd(crm, actor, deposit_id, reason, as_json: bool):
    """Refuse a pending transfer with a reason."""
    result = savings.reject_deposit(crm, actor, deposit_id, reason)
    output.action(as_json, f"deposit #{result.id} was already rejected; nothing changed"
                  if result.replayed else f"rejected deposit #{result.id}: {result.reject_reason}",
                  replayed=result.replayed, deposit_id=result.id, reason=result.reject_reason)


@examples("dyncrm --as kasir savings withdraw XYZ-2025-00003 50.000 --ref KW-0102")
@click.command("withdraw")
@click.argument("member_ref", metavar="MEMBER")
@click.argument("amount", type=AMOUNT)
@click.option("--ref", "reference", required=True, help="Receipt reference (idempotency key).")
@click.option("--method", type=click.Choice(["cash", "transfer"]), default="cash",
              show_default=True)
@click.option("--product", default="sukarela", show_default=True,
              help="Only sukarela can be withdrawn.")
@click.option("--date", "on", type=DATE, help="Date of the withdrawal (default: today).")
@receipt_option
@json_option
@pass_actor
def withdraw_cmd(crm, actor, member_ref, amount, reference, method, product, on, as_json):
    """Pay out AMOUNT from MEMBER's simpanan sukarela."""
    member = crm.member(member_ref)
    result = savings.withdraw(crm, actor, member.id, amount, reference=reference, on=_day(on),
                              product=product, method=method)
    print_receipt(crm, result.entry_id, replayed=result.replayed)
    if as_json:
        output.emit(result)
    elif result.replayed:
        click.echo(f"already recorded: withdrawal {result.reference} (ledger entry "
                   f"{result.entry_id}); nothing changed")
    else:
        click.echo(f"paid {crm.format_money(result.amount)} to {_who(member)} {member.name}; "
                   f"{savings.product_name(crm, 'sukarela')} is now "
                   f"{crm.format_money(result.balance_after)} (ledger entry {result.entry_id})")


@examples("dyncrm --as anggota1 savings balance XYZ-2025-00003")
@click.command("balance")
@click.argument("member_ref", metavar="MEMBER")
@click.option("--as-of", type=DATE, help="Balances at the end of this date.")
@json_option
@pass_actor
def balance_cmd(crm, actor, member_ref, as_of, as_json):
    """Show MEMBER's savings per product and any wajib arrears."""
    member = crm.member(member_ref)
    savings.can_view(crm, actor, member.id)
    day = _day(as_of)
    found = savings.balances(crm, member.id, as_of=day)
    arrears = (savings.wajib_arrears(crm, member.id, day or crm.today())
               if member.stage == "active" else [])
    total = sum(found.values(), Money.zero(crm.currency))
    owed = sum((m for _, m in arrears), Money.zero(crm.currency))
    if as_json:
        output.emit({"member": member.number or member.id, "name": member.name,
                          "as_of": day or crm.today(), "balances": found, "total": total,
                          "wajib_arrears": [{"month": month_label(m), "amount": a}
                                            for m, a in arrears]})
        return
    click.echo(f"{_who(member)}  {member.name}  ({gettext(member.stage)})")
    pairs = {savings.product_name(crm, p): crm.format_money(found[p]) for p in PRODUCTS}
    pairs["Total"] = crm.format_money(total)
    if arrears:
        pairs[N_("{product} arrears").format(product=savings.product_name(crm, "wajib"))] = (
            f"{crm.format_money(owed)} ({', '.join(month_label(m) for m, _ in arrears)})")
    output.kv(pairs)


@examples("dyncrm --as anggota1 savings statement XYZ-2025-00003 --year 2025")
@click.command("statement")
@click.argument("member_ref", metavar="MEMBER")
@click.option("--product", help="pokok, wajib or sukarela (default: all three).")
@click.option("--year", type=YEAR, help="Calendar year (default: everything).")
@click.option("--csv", "csv_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the lines to this CSV file.")
@json_option
@pass_actor
def statement_cmd(crm, actor, member_ref, product, year, csv_file, as_json):
    """Print MEMBER's savings statement with running balances."""
    member = crm.member(member_ref)
    savings.can_view(crm, actor, member.id)
    products = [savings.canonical_product(crm, product)] if product else list(PRODUCTS)
    statements = [savings.statement(crm, member.id, p, year) for p in products]
    rows = []
    for st in statements:
        name = savings.product_name(crm, st.product)
        rows.extend({"product": name, "date": ln.date, "entry": ln.entry_id,
                     "description": ln.memo, "amount": ln.amount, "balance": ln.balance}
                    for ln in st.lines)
    if csv_file:
        with atomic_open(csv_file, "w", newline="", encoding="utf-8") as fh:
            output.write_csv(rows, fh, ["product", "date", "entry", "description", "amount",
                                        "balance"])
    if as_json:
        output.emit({"member": member.number or member.id, "name": member.name,
                          "year": year, "statements": statements})
        return
    period = N_("year {year}").format(year=year) if year else N_("all time")
    click.echo(f"Savings statement of {_who(member)} {member.name}, {period}")
    for st in statements:
        click.echo("")
        click.echo(f"{savings.product_name(crm, st.product)}: opening "
                   f"{crm.format_money(st.opening)}")
        output.table([{"date": ln.date, "description": ln.memo,
                       "amount": crm.format_money(ln.amount),
                       "balance": crm.format_money(ln.balance)} for ln in st.lines],
                     ["date", "description", "amount", "balance"],
                     align_right=["amount", "balance"], empty="(no movements)")
        click.echo(f"closing {crm.format_money(st.closing)}")
    if csv_file:
        click.echo(f"wrote {len(rows)} lines to {csv_file}", err=True)


@examples("dyncrm --as bendahara savings arrears")
@click.command("arrears")
@click.option("--as-of", type=DATE, help="Arrears on this date (default: today).")
@click.option("--csv", "csv_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the list to this CSV file.")
@json_option
@pass_actor
def arrears_cmd(crm, actor, as_of, csv_file, as_json):
    """List active members with unpaid simpanan wajib."""
    crm.require(actor, "savings.view")
    day = _day(as_of) or crm.today()
    found = savings.arrears_by_member(crm, day)
    members = {m.id: m for m in Member.select().where(Member.id.in_(list(found)))} \
        if found else {}
    rows = sorted(({"member": _who(members[i]), "name": members[i].name, "amount": amount}
                   for i, amount in found.items()), key=lambda r: r["member"])
    if csv_file:
        with atomic_open(csv_file, "w", newline="", encoding="utf-8") as fh:
            output.write_csv(rows, fh, ["member", "name", "amount"])
    if as_json:
        output.emit({"as_of": day, "arrears": rows})
        return
    output.table([{**r, "amount": crm.format_money(r["amount"])} for r in rows],
                 ["member", "name", "amount"], align_right=["amount"],
                 empty=f"no wajib arrears on {day.isoformat()}")
    if rows:
        total = sum((r["amount"] for r in rows), Money.zero(crm.currency))
        click.echo(f"{len(rows)} member(s), total {crm.format_money(total)}")


@examples("dyncrm --as sekretaris savings set-class XYZ-2025-00003 karyawan", run=False)
@click.command("set-class")
@click.argument("member_ref", metavar="MEMBER")
@click.argument("member_class", metavar="CLASS")
@click.option("--since", help="First month the class applies, YYYY-MM (default: this month).")
@json_option
@pass_actor
def set_class_cmd(crm, actor, member_ref, member_class, since, as_json: bool):
    """Set MEMBER's class (grade), which fixes their monthly wajib amount."""
    member = crm.member(member_ref)
    month = parse_month(since) if since else None
    savings.set_member_class(crm, actor, member.id, member_class, since=month)
    output.action(as_json, f"{_who(member)} is class {member_class} from "
               f"{month_label(month or crm.today().replace(day=1))}")


@examples("dyncrm --as bendahara savings reverse 412 --reason \"deposit recorded for the "
          "wrong member\"",
          run=False)
@click.command("reverse")
@click.argument("entry_id", type=int)
@click.option("--reason", required=True, help="Why the entry is corrected (kept in the books).")
@click.option("--key", default=None,
              help="Idempotency key of the correction (default: correction:ENTRY_ID).")
@json_option
@pass_actor
def reverse_cmd(crm, actor, entry_id, reason, key, as_json):
    """Correct a savings entry (deposit, withdrawal, sukarela credit or debit) by reversing it.

    The member's balance and wajib months follow; refused when the account no
    longer holds what a reversed deposit put in.
    """
    from dyncrm_expand.savings.corrections import reverse_entry

    result = reverse_entry(crm, actor, entry_id, reason=reason, key=key)
    output.emit(result) if as_json else click.echo(result.describe())


@click.group("interest")
def interest_group():
    """Monthly interest on simpanan sukarela (jasa simpanan), with PPh final withheld."""


def _interest_rows(crm, month, as_json: bool) -> list[dict]:
    from dyncrm.money import from_minor

    exp = crm.ledger.exponent(crm.currency)

    def show(units):
        if as_json:
            return units if isinstance(units, int) else \
                f"{units.numerator}/{units.denominator}"
        return crm.format_money(from_minor(round(units), crm.currency, exp))

    return [{"member": x.number, "name": x.name, "balance": show(x.balance),
             "interest": show(x.gross), "pph": show(x.tax), "net": show(x.net)}
            for x in month.lines]


@examples("dyncrm --as bendahara savings interest compute --month 2026-01")
@interest_group.command("compute")
@click.option("--month", required=True, help="The month, YYYY-MM.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False),
              help="Also write the lines as CSV (minor units).")
@json_option
@pass_actor
def interest_compute_cmd(crm, actor, month, csv_path, as_json):
    """What each member's sukarela earns for MONTH (nothing is posted)."""
    from dyncrm_expand.savings.interest import compute_month

    crm.require(actor, "savings.view")
    computed = compute_month(crm, parse_month(month))
    if csv_path:
        with atomic_open(csv_path, "w", newline="", encoding="utf-8") as fh:
            output.write_csv(_interest_rows(crm, computed, True), fh,
                             ["member", "name", "balance", "interest", "pph", "net"])
    if as_json:
        output.emit({"month": month_label(computed.month), "basis": computed.basis,
                          "lines": _interest_rows(crm, computed, True),
                          "interest": computed.gross, "pph": computed.tax})
        return
    output.table(_interest_rows(crm, computed, False),
                 align_right=["balance", "interest", "pph", "net"],
                 empty="(no interest: no rate set, or no member with a sukarela balance)")
    from dyncrm.money import from_minor

    exp = crm.ledger.exponent(crm.currency)
    click.echo(f"{month_label(computed.month)} ({computed.basis} balance): interest "
               f"{crm.format_money(from_minor(computed.gross, crm.currency, exp))}, PPh "
               f"{crm.format_money(from_minor(computed.tax, crm.currency, exp))}")


@examples("dyncrm --as bendahara savings interest post --month 2026-01", run=False)
@interest_group.command("post")
@click.option("--month", required=True, help="The month, YYYY-MM (over before today).")
@json_option
@pass_actor
def interest_post_cmd(crm, actor, month, as_json: bool):
    """Post MONTH's interest to each member's sukarela, PPh to the tax payable; once."""
    from dyncrm.money import from_minor
    from dyncrm_expand.savings.interest import post_month

    done = post_month(crm, actor, parse_month(month))
    if done.replayed:
        output.action(as_json, f"the interest of {month} was already posted; nothing was "
                               "posted again", replayed=True, month=month)
        return
    exp = crm.ledger.exponent(crm.currency)
    gross = from_minor(done.gross, crm.currency, exp)
    tax = from_minor(done.tax, crm.currency, exp)
    output.action(as_json, f"posted the interest of {month_label(done.month)} for "
                           f"{done.posted} members: {crm.format_money(gross)}, PPh "
                           f"{crm.format_money(tax)} withheld",
                  month=month, members=done.posted, gross=gross, tax=tax)


COMMANDS = [deposit_cmd, pending_cmd, show_cmd, verify_cmd, reject_cmd, withdraw_cmd,
            balance_cmd, statement_cmd, arrears_cmd, set_class_cmd, reverse_cmd,
            passbook_cmd, interest_group]


def register(cli: click.Group) -> None:
    """Add the ``savings`` group to the ``dyncrm`` command tree."""
    group = subgroup(cli, "savings", "Simpanan pokok, wajib and sukarela.")
    for command in COMMANDS:
        group.add_command(command)


__all__ = ["COMMANDS", "register"]
