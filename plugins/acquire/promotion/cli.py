"""``dyncrm promo …`` commands of acquire.promotion."""

from __future__ import annotations

import sys
from pathlib import Path

import attrs
import click

from dyncrm import output
from dyncrm.cli import examples, json_option, pass_actor, pass_crm, subgroup
from dyncrm.errors import ValidationError
from dyncrm.files import atomic_open
from dyncrm.text import read_text_file
from dyncrm_acquire import validate
from dyncrm_acquire.promotion import promotions as promos
from dyncrm_acquire.referrals import referral_code


def _promo_row(crm, p: promos.PromotionInfo) -> dict:
    return {"id": p.id, "title": p.title, "product": p.product or "",
            "audience": p.audience_label, "from": p.starts_on, "until": p.ends_on or "",
            "channels": ", ".join(p.channels) or "preferred",
            "running": p.is_running(crm.today())}


def _read_image(path: Path) -> bytes:
    """The bytes of a banner file, refused (field ``image``) when unreadable or too large."""
    from dyncrm_acquire.promotion.banners import MAX_BYTES

    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror}", field="image") from None
    if len(data) > MAX_BYTES:
        raise ValidationError(f"is larger than {MAX_BYTES:,} bytes", field="image")
    return data


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def register(cli: click.Group) -> None:
    """Add the ``promo`` group."""
    promo = subgroup(cli, "promo", "Products, promotions, the funnel report and referrals.")

    @examples("dyncrm promo products")
    @promo.command("products")
    @json_option
    @pass_crm
    def products_cmd(crm, as_json):
        """List the products promotions can point at (from every plugin).

        The catalogue is public: no sign-in needed.
        """
        rows = [attrs.asdict(p) for p in promos.products(crm)]
        output.emit(rows) if as_json else output.table(
            rows, ["code", "name", "kind", "plugin", "description"], empty="no products")

    @examples("dyncrm --as sekretaris promo product-add berjangka --name \"Simpanan Berjangka\"")
    @promo.command("product-add")
    @click.argument("code")
    @click.option("--name", required=True, help="Name shown to members.")
    @click.option("--kind", default="other", show_default=True,
                  type=click.Choice(promos.PRODUCT_KINDS))
    @click.option("--description", default="", help="One or two sentences.")
    @json_option
    @pass_actor
    def product_add_cmd(crm, actor, code, name, kind, description, as_json: bool):
        """Add an offer that no plugin provides (e.g. a partner discount)."""
        p = promos.add_product(crm, code, name, actor, kind=kind, description=description)
        output.action(as_json, f"added product {p.code}: {p.name}")

    @examples("dyncrm --as sekretaris promo add --title \"Pinjaman lebaran\" --product "
              "konsumtif --audience without_loan --starts 2026-03-01 --ends 2026-03-31 --body "
              "\"Jasa 0,9% sebulan selama Maret.\"")
    @promo.command("add")
    @click.option("--title", required=True, help="Subject line of the promotion.")
    @click.option("--body", help="Text (a template: {{ member.name }}, {{ referral_code }}...).")
    @click.option("--body-file", type=click.Path(exists=True, dir_okay=False),
                  help="Read the text from a file.")
    @click.option("--audience", default="everyone", show_default=True,
                  help="everyone, applicants, new_members:N, without_loan, department:NAME "
                       "or segment:NAME.")
    @click.option("--starts", help="First day, YYYY-MM-DD (default today).")
    @click.option("--ends", help="Last day, YYYY-MM-DD (default: open-ended).")
    @click.option("--product", help="Code of the product promoted (dyncrm promo products).")
    @click.option("--channel", "channels", multiple=True,
                  help="Channel to use (repeatable; default: each member's preferred).")
    @json_option
    @pass_actor
    def add_cmd(crm, actor, title, body, body_file, audience, starts, ends, product, channels,
                as_json):
        """Create a promotion."""
        if (body is None) == (body_file is None):
            raise click.UsageError("give the text with --body or --body-file")
        text = body if body is not None else read_text_file(body_file, field="body_file")
        p = promos.add(crm, actor, title=title, body=text, audience=audience,
                       starts_on=validate.date(starts, "starts") if starts else None,
                       ends_on=validate.date(ends, "ends") if ends else None,
                       product=product, channels=channels)
        if as_json:
            output.emit(p)
        else:
            click.echo(f"promotion #{p.id} '{p.title}' for {p.audience_label}; send it with: "
                       f"dyncrm promo push {p.id}")

    @examples("dyncrm --as sekretaris promo list")
    @promo.command("list")
    @click.option("--running", is_flag=True, help="Only promotions running today.")
    @json_option
    @pass_actor
    def list_cmd(crm, actor, running, as_json):
        """List promotions, newest first."""
        crm.require(actor, "members.view")
        found = promos.find(crm, running_on=crm.today() if running else None)
        if as_json:
            output.emit(found)
        else:
            output.table([_promo_row(crm, p) for p in found], empty="no promotions")

    @examples("dyncrm --as sekretaris promo show 1")
    @promo.command("show")
    @click.argument("promotion_id", metavar="ID")
    @json_option
    @pass_actor
    def show_cmd(crm, actor, promotion_id, as_json):
        """A promotion: text, audience size today and its funnel."""
        crm.require(actor, "members.view")
        p = promos.get(crm, promotion_id)
        size = len(promos.audience_ids(crm, p)) if p.is_running(crm.today()) else None
        [row] = promos.funnel(crm, p.id)
        if as_json:
            output.emit({"promotion": p, "audience_today": size, "funnel": row})
            return
        output.kv({**{k.title(): v for k, v in _promo_row(crm, p).items()},
                   "Audience today": size if size is not None else "(not running)",
                   "Funnel": f"reached {row.reached}, viewed {row.viewed}, claimed "
                             f"{row.claimed}, applied {row.applied}, joined {row.joined}"})
        click.echo("")
        click.echo(p.body)

    @examples("dyncrm --as sekretaris promo banner 1 banner.png", run=False)
    @promo.command("banner")
    @click.argument("promotion_id", metavar="ID")
    @click.argument("image", required=False,
                    type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--remove", is_flag=True, help="Take the banner off instead.")
    @json_option
    @pass_actor
    def banner_cmd(crm, actor, promotion_id, image, remove, as_json):
        """Attach IMAGE (JPEG, PNG or WebP) as the banner of promotion ID, or --remove it.

        The image is checked and re-encoded as the portal does with an upload;
        members the promotion is addressed to see it beside the offer.
        """
        from dyncrm_acquire.promotion import banners

        if remove == (image is not None):
            raise ValidationError("give an IMAGE file, or --remove", field="image")
        if remove:
            removed = banners.remove_banner(crm, actor, promotion_id)
            result = {"promotion": int(promotion_id), "removed": removed}
            output.emit(result) if as_json else click.echo(
                "banner removed" if removed else "the promotion had no banner; nothing changed")
            return
        found = banners.set_banner(crm, actor, promotion_id, _read_image(image))
        output.emit(found) if as_json else click.echo(
            f"banner of promotion {found.promotion}: {found.width}×{found.height} "
            f"{found.content_type}")

    @examples("dyncrm --as anggota1 promo for XYZ-2025-00003")
    @promo.command("for")
    @click.argument("member_ref", metavar="MEMBER")
    @json_option
    @pass_actor
    def for_cmd(crm, actor, member_ref, as_json):
        """Promotions running today for MEMBER (or applicant #id)."""
        info = crm.member(member_ref)
        if actor.member_id != info.id:
            crm.require(actor, "members.view")
        found = promos.active_for(crm, info.id)
        output.emit(found) if as_json else output.table(
            [_promo_row(crm, p) for p in found], empty="no promotions for this member")

    @examples("dyncrm --as sekretaris promo push 1", run=False)
    @promo.command("push")
    @click.argument("promotion_id", metavar="ID")
    @json_option
    @pass_actor
    def push_cmd(crm, actor, promotion_id, as_json):
        """Queue the promotion for its audience (each member at most once)."""
        p = promos.get(crm, promotion_id)
        size = len(promos.audience_ids(crm, p)) if p.is_running(crm.today()) else 0
        with click.progressbar(length=size, label=f"Promotion #{p.id}",
                               file=sys.stderr) as bar:
            report = promos.push(crm, p.id, actor, progress=bar.update)
        if as_json:
            output.emit(report)
            return
        click.echo(f"queued {report.reached} messages for promotion #{p.id}; "
                   f"already reached {report.already}, opted out {report.opted_out}, "
                   f"no address {report.unreachable}")
        if report.reached:
            click.echo("deliver them with: dyncrm outbox send")

    def _track(kind: str):
        @click.argument("promotion_id", metavar="ID")
        @click.argument("member_ref", metavar="MEMBER")
        @json_option
        @pass_actor
        def command(crm, actor, promotion_id, member_ref, as_json):
            result = promos.track(crm, promotion_id, member_ref, kind, actor)
            if as_json:
                output.emit(result)
            elif result.replayed:
                click.echo(f"already recorded: {member_ref} {kind} promotion "
                           f"#{result.promotion}")
            else:
                click.echo(f"recorded: {member_ref} {kind} promotion #{result.promotion}")
        return command

    examples("dyncrm --as anggota1 promo view 1 XYZ-2025-00003", run=False)(
        promo.command("view", help="Record that MEMBER viewed promotion ID.")(_track("viewed")))
    examples("dyncrm --as sekretaris promo claim 1 XYZ-2025-00003", run=False)(
        promo.command("claim", help="Record that MEMBER claimed (clicked) promotion ID.")(
            _track("claimed")))

    @examples("dyncrm --as sekretaris promo track 1 XYZ-2025-00003 --event viewed", run=False)
    @promo.command("track")
    @click.argument("promotion_id", metavar="ID")
    @click.argument("member_ref", metavar="MEMBER")
    @click.option("--event", required=True, type=click.Choice(promos.EVENTS[1:]))
    @json_option
    @pass_actor
    def track_cmd(crm, actor, promotion_id, member_ref, event, as_json):
        """Record any funnel step (e.g. applied or joined for a product offer)."""
        result = promos.track(crm, promotion_id, member_ref, event, actor)
        if as_json:
            output.emit(result)
        else:
            said = "already recorded" if result.replayed else "recorded"
            click.echo(f"{said}: {member_ref} {event} promotion #{result.promotion}")

    @examples("dyncrm --as sekretaris promo stop 1")
    @promo.command("stop")
    @click.argument("promotion_id", metavar="ID")
    @json_option
    @pass_actor
    def stop_cmd(crm, actor, promotion_id, as_json: bool):
        """End a promotion now."""
        p = promos.stop(crm, promotion_id, actor)
        output.action(as_json, f"promotion #{p.id} stopped")

    @examples("dyncrm --as sekretaris promo funnel 1")
    @promo.command("funnel")
    @click.argument("promotion_id", metavar="[ID]", required=False)
    @click.option("--csv", "csv_file", type=click.Path(dir_okay=False, allow_dash=True),
                  help="Write CSV to FILE ('-' for the terminal).")
    @json_option
    @pass_actor
    def funnel_cmd(crm, actor, promotion_id, csv_file, as_json):
        """Reached → viewed → claimed → applied → joined, per promotion."""
        crm.require(actor, "members.view")
        rows = [attrs.asdict(r) for r in promos.funnel(crm, promotion_id)]
        if as_json:
            output.emit(rows)
            return
        if csv_file:
            if csv_file == "-":
                output.write_csv(rows, sys.stdout)
            else:
                with atomic_open(csv_file, "w", newline="", encoding="utf-8") as fh:
                    output.write_csv(rows, fh)
                click.echo(f"wrote {len(rows)} promotions to {csv_file}")
            return
        for r in rows:
            r["conversion"] = _pct(r["joined"], r["reached"])
            r["viewed"] = f"{r['viewed']} ({_pct(r['viewed'], r['reached'])})"
        output.table(rows, ["promotion", "title", "reached", "viewed", "claimed", "applied",
                            "joined", "conversion"],
                     align_right=["reached", "claimed", "applied", "joined"],
                     empty="no promotions")

    @examples("dyncrm --as anggota1 promo referral-code XYZ-2025-00003")
    @promo.command("referral-code")
    @click.argument("member_ref", metavar="MEMBER")
    @json_option
    @pass_actor
    def code_cmd(crm, actor, member_ref, as_json: bool):
        """Print MEMBER's referral code (to give to friends who want to join)."""
        info = crm.member(member_ref)
        if actor.member_id != info.id:
            crm.require(actor, "members.view")
        if info.stage not in ("active", "leaving"):
            raise ValidationError(f"only members have referral codes; {info.name} is "
                                  f"{info.stage}")
        output.action(as_json, referral_code(info.id))

    @examples("dyncrm --as sekretaris promo referrals")
    @promo.command("referrals")
    @json_option
    @pass_actor
    def referrals_cmd(crm, actor, as_json):
        """Members who referred applicants, and how many of those joined."""
        crm.require(actor, "members.view")
        rows = [attrs.asdict(r) for r in promos.referral_report(crm)]
        output.emit(rows) if as_json else output.table(
            rows, ["number", "name", "code", "referred", "joined"],
            align_right=["referred", "joined"], empty="no referrals yet")
