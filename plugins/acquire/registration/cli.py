"""``dyncrm member …`` commands of acquire.registration."""

from __future__ import annotations

import sys
from typing import Any

import attrs
import click

from dyncrm import output
from dyncrm.cli import examples, json_option, pass_actor, subgroup
from dyncrm.errors import ValidationError
from dyncrm.files import atomic_open
from dyncrm.i18n import gettext, translate
from dyncrm_acquire import validate
from dyncrm_acquire.registration import applications as apps
from dyncrm_acquire.registration.directory import details, list_members
from dyncrm_acquire.registration.profile_edit import EDITABLE, update_profile

FIELD_HELP = {
    "full_name": "Full name as on the KTP.",
    "nik": "KTP NIK, 16 digits.",
    "employee_number": "Employee number at the employer (not the NIK).",
    "department": "Department / work unit.",
    "email": "E-mail address.",
    "mobile": "Mobile number, e.g. 0812-3456-7890 (stored as +62…).",
    "address": "Home address.",
    "date_of_birth": "Date of birth, YYYY-MM-DD.",
    "employment_status": "Employment status, e.g. permanent or contract.",
    "employment_start": "Employed since, YYYY-MM-DD.",
    "take_home_pay": "Monthly take-home pay, e.g. 4.500.000.",
    "referral_code": "Referral code of the member who recommended the applicant.",
    "promotion": "Number of the promotion the applicant answered.",
}


def field_options(fields):
    """Decorator: one ``--field-name`` option per application field."""

    def decorate(f):
        for name in reversed(fields):
            f = click.option("--" + name.replace("_", "-"), name, default=None,
                             help=FIELD_HELP[name])(f)
        return f

    return decorate


def _given(kwargs: dict[str, Any], fields) -> dict[str, Any]:
    return {k: kwargs.pop(k) for k in fields if kwargs.get(k) is not None}


def _app_json(application: apps.Application) -> dict[str, Any]:
    data = output.plain(attrs.asdict(application, recurse=False))
    return data


def _date_opt(value: str | None, field: str):
    return validate.date(value, field) if value else None


def register(cli: click.Group) -> None:
    """Add the registration commands to ``dyncrm member``."""
    member = subgroup(cli, "member", "Members: applications, register, profiles.")

    @examples("A paper form entered by the secretary.",
              "dyncrm --as sekretaris member apply --full-name \"Sri Wahyuni\" "
              "--nik 3171235505900001 --date-of-birth 1990-05-15 --address \"Jl. Melati 5, "
              "Jakarta\" --employee-number XYZ10100 --department Produksi "
              "--email sri@xyz.co.id --mobile 081234567890 --employment-status permanent "
              "--employment-start 2019-03-01 --take-home-pay 6.500.000 --key FORM-0042")
    @member.command("apply")
    @field_options(apps.APPLICATION_FIELDS)
    @click.option("--key", help="Idempotency key (e.g. the paper form's number).")
    @json_option
    @pass_actor
    def apply_cmd(crm, actor, key, as_json, **fields):
        """Enter a membership application (the secretary at the desk)."""
        outcome = apps.submit(crm, _given(fields, apps.APPLICATION_FIELDS), actor, key=key)
        a = outcome.application
        if as_json:
            output.emit({**_app_json(a), "replayed": outcome.replayed})
        elif outcome.replayed:
            click.echo(f"already recorded: application #{a.id} of {a.full_name} ({a.status})")
        else:
            click.echo(f"application #{a.id} of {a.full_name} submitted; next: "
                       f"dyncrm member verify {a.id} --accept")

    @examples("dyncrm --as sekretaris member applications --status rejected")
    @member.command("applications")
    @click.option("--status", type=click.Choice(apps.APPLICATION_STAGES.stages))
    @json_option
    @pass_actor
    def applications_cmd(crm, actor, status, as_json):
        """List applications (the secretary's and the board's work queue)."""
        crm.require(actor, "members.view")
        found = apps.find(crm, status)
        if as_json:
            output.emit([_app_json(a) for a in found])
            return
        output.table([{"id": a.id, "status": a.status, "name": a.full_name,
                       "department": a.department, "employee no": a.employee_number,
                       "submitted": a.submitted_at.date() if a.submitted_at else "",
                       "number": a.member_number, "reason": a.reason} for a in found],
                     empty="no applications")

    @examples("dyncrm --as sekretaris member verify 11 --accept", run=False)
    @member.command("verify")
    @click.argument("application_id", metavar="ID")
    @click.option("--accept", "accept_it", is_flag=True, help="The application is complete.")
    @click.option("--return-reason", help="Return it to the applicant, saying what to fix.")
    @json_option
    @pass_actor
    def verify_cmd(crm, actor, application_id, accept_it, return_reason, as_json):
        """Check an application: --accept it, or return it with --return-reason."""
        if accept_it == bool(return_reason):
            raise click.UsageError("give either --accept or --return-reason TEXT")
        if accept_it:
            outcome = apps.accept(crm, application_id, actor)
            text = f"application #{outcome.application.id} accepted; the board decides next"
        else:
            outcome = apps.return_to_applicant(crm, application_id, actor, return_reason)
            told = "the applicant is told" if outcome.message_id else \
                "the applicant has no e-mail or mobile: tell them yourself"
            text = f"application #{outcome.application.id} returned ({told})"
        output.emit(_app_json(outcome.application)) if as_json else click.echo(text)

    @examples("dyncrm --as sekretaris member amend 11 --department Produksi", run=False)
    @member.command("amend")
    @click.argument("application_id", metavar="ID")
    @field_options([f for f in apps.APPLICATION_FIELDS if f != "promotion"])
    @json_option
    @pass_actor
    def amend_cmd(crm, actor, application_id, as_json, **fields):
        """Correct a returned application and submit it again."""
        outcome = apps.amend(crm, application_id, _given(fields, list(fields)), actor)
        if as_json:
            output.emit(_app_json(outcome.application))
        else:
            click.echo(f"application #{outcome.application.id} corrected and submitted again")

    @examples("dyncrm --as ketua member approve 11", run=False)
    @member.command("approve")
    @click.argument("application_id", metavar="ID")
    @json_option
    @pass_actor
    def approve_cmd(crm, actor, application_id, as_json):
        """Approve a verified application: member number, login, welcome message."""
        result = apps.approve(crm, application_id, actor)
        if as_json:
            output.emit({"application": _app_json(result.application),
                              "number": result.member.number, "username": result.username,
                              "welcome_message": result.message_id,
                              "replayed": result.replayed})
            return
        m = result.member
        if result.replayed:
            click.echo(f"already recorded: application #{result.application.id} was approved "
                       f"as member {m.number}")
            return
        click.echo(f"approved: {m.name} is member {m.number}, login {result.username}")
        if result.message_id:
            click.echo(f"welcome message #{result.message_id} with activation instructions "
                       "queued (dyncrm outbox send)")
        else:
            click.echo("no e-mail or mobile on file: give the member this one-time "
                       f"activation code yourself: {result.activation_token}")

    @examples("dyncrm --as ketua member reject 11 --reason \"not an employee of XYZ\"", run=False)
    @member.command("reject")
    @click.argument("application_id", metavar="ID")
    @click.option("--reason", help="Told to the applicant (default: the objections raised).")
    @json_option
    @pass_actor
    def reject_cmd(crm, actor, application_id, reason, as_json):
        """Reject an application; the applicant is told the reason."""
        outcome = apps.reject(crm, application_id, actor, reason)
        a = outcome.application
        if as_json:
            output.emit({**_app_json(a), "replayed": outcome.replayed})
        elif outcome.replayed:
            click.echo(f"already recorded: application #{a.id} was rejected ({a.reason})")
        else:
            click.echo(f"application #{a.id} rejected: {a.reason}")

    @examples("dyncrm --as sekretaris member list --stage active")
    @member.command("list")
    @click.option("--stage", help="applicant, active, leaving, inactive or rejected.")
    @click.option("--department", help="Only this department.")
    @click.option("--joined-from", help="Joined on or after YYYY-MM-DD.")
    @click.option("--joined-to", help="Joined on or before YYYY-MM-DD.")
    @click.option("--csv", "csv_file", type=click.Path(dir_okay=False, allow_dash=True),
                  help="Write CSV to FILE ('-' for the terminal).")
    @json_option
    @pass_actor
    def list_cmd(crm, actor, stage, department, joined_from, joined_to, csv_file, as_json):
        """The member register, filtered; as a table, CSV or JSON."""
        crm.require(actor, "members.view")
        rows = [attrs.asdict(r) for r in list_members(
            crm, stage=stage, department=department,
            joined_from=_date_opt(joined_from, "joined_from"),
            joined_to=_date_opt(joined_to, "joined_to"))]
        columns = ["number", "name", "stage", "department", "employee_number", "joined_on",
                   "email", "mobile"]
        if csv_file:
            if csv_file == "-":
                output.write_csv(rows, sys.stdout, ["id", *columns, "left_on"])
            else:
                with atomic_open(csv_file, "w", newline="", encoding="utf-8") as fh:
                    output.write_csv(rows, fh, ["id", *columns, "left_on"])
                click.echo(f"wrote {len(rows)} members to {csv_file}")
        elif as_json:
            output.emit(rows)
        else:
            for r in rows:
                r["number"] = r["number"] or f"#{r['id']}"
            output.table(rows, columns, headers={"employee_number": "employee no",
                                                 "joined_on": "joined"},
                         empty="no members match")
            click.echo(f"{len(rows)} members")

    @examples("dyncrm --as sekretaris member show XYZ-2025-00003")
    @member.command("show")
    @click.argument("member_ref", metavar="MEMBER")
    @json_option
    @pass_actor
    def show_cmd(crm, actor, member_ref, as_json):
        """A member's record with the facts every enabled plugin adds."""
        info = crm.member(member_ref)
        if actor.member_id != info.id:
            crm.require(actor, "members.view")
        facts = {"Number": info.number or f"applicant #{info.id}", "Name": info.name,
                 "Stage": info.stage, "E-mail": info.email or "", "Mobile": info.phone or "",
                 "Joined": crm.locale.date(info.joined_on) if info.joined_on else "",
                 "Left": crm.locale.date(info.left_on) if info.left_on else ""}
        facts = {k: v for k, v in facts.items() if v}
        own = set(facts) - {"Stage"}
        facts.update(details(crm, info))
        if as_json:
            output.emit({"member": info,  # details: what the plugins show, as shown
                         "details": [{"label": k, "text": str(v)} for k, v in facts.items()]})
        else:
            # the stage and the plugins' values (message ids and sentences of them,
            # "approved", "permanent, since 13 Januari 2020") in the CLI's language
            shown = {k: translate(v) if isinstance(v, str) and k not in own else v
                     for k, v in facts.items()}
            shown["Stage"] = gettext(info.stage)
            output.kv(shown)

    @examples("dyncrm --as sekretaris member update XYZ-2025-00003 --mobile 081298765432")
    @member.command("update")
    @click.argument("member_ref", metavar="MEMBER")
    @field_options(list(EDITABLE))
    @json_option
    @pass_actor
    def update_cmd(crm, actor, member_ref, as_json, **fields):
        """Update a member's contact, department or employment details."""
        changes = _given(fields, list(EDITABLE))
        if not changes:
            raise ValidationError("say what to change, e.g. --take-home-pay 5.000.000")
        p = update_profile(crm, member_ref, changes, actor)
        if as_json:
            output.emit(p)
        else:
            click.echo(f"updated {', '.join(sorted(changes))} of member {member_ref}")
