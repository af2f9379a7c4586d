"""The membership pages of the web portal.

Visitors apply for membership online (as :meth:`Actor.public`, the same checks
as at the desk) and follow their application with the link they are given.
The secretary verifies or returns applications and the board approves or
rejects them (the work queue lists both); approving creates the member's login
and shows its one-time activation code.  Staff search the register and open a
member's record with its timeline.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from dyncrm import hookimpl
from dyncrm.errors import IllegalTransition, NotFoundError, ValidationError
from dyncrm.values import INFO_TYPES, PHASES, Actor
from dyncrm.web import MenuEntry, QueueItem, QueueSource, WebExtension
from dyncrm.web.guards import actor, can, crm, member_only, own_member_id, staff_only
from dyncrm_acquire.registration import applications as apps
from dyncrm_acquire.registration.directory import details, search_members
from dyncrm_acquire.registration.profile_edit import OWN_EDITABLE, update_own_contact
from dyncrm_acquire.settings import APPLICATION_FIELDS

blueprint = Blueprint("members", __name__, url_prefix="/members", template_folder="templates")

#: the fields of the online form (the promotion comes from the link, not typed)
FORM_FIELDS = tuple(f for f in APPLICATION_FIELDS if f != "promotion")


def status_token(application_id: int) -> str:
    """The unguessable token that lets the applicant follow application ``application_id``."""
    key = str(current_app.secret_key).encode()
    return hmac.new(key, f"acquire.application:{application_id}".encode(),
                    hashlib.sha256).hexdigest()[:32]


def _errors(exc: ValidationError) -> dict[str, str]:
    return {exc.field or "_": str(exc)}


def _form_values() -> dict[str, str]:
    return {f: request.form.get(f, "").strip() for f in (*FORM_FIELDS, "promotion")}


def _options(values, blank: str) -> list[tuple[str, str]]:
    return [("", blank), *[(v, crm().t(v)) for v in values]]  # codes shown translated


def _apply_page(values: dict[str, str], errors: dict[str, str], key: str, status: int = 200,
                *, action: str | None = None, amend_of=None):
    c = crm()
    conf = apps.settings(c)
    required = set(conf.required_fields) | {"full_name", "nik"}
    return render_template(
        "web/members/apply.html", values=values, errors=errors, key=key, required=required,
        departments=_options(conf.departments, c.t("Choose…")) if conf.departments else None,
        statuses=_options(conf.employment_statuses, c.t("Choose…"))
        if conf.employment_statuses else None, action=action, amend_of=amend_of), status


@blueprint.route("/join", methods=["GET", "POST"])
def apply():
    """The online membership application (anyone; nothing is stored until it passes)."""
    if request.method == "GET":
        values = {f: "" for f in FORM_FIELDS}
        values["promotion"] = request.args.get("promotion", "").strip()[:12]
        values["referral_code"] = request.args.get("ref", "").strip()[:40]
        return _apply_page(values, {}, uuid.uuid4().hex)
    values = _form_values()
    key = request.form.get("key", "").strip()[:64] or uuid.uuid4().hex
    data = {f: v for f, v in values.items() if v}
    c = crm()
    try:
        outcome = apps.submit(c, data, Actor.public(), key=f"web-apply:{key}")
    except ValidationError as exc:
        return _apply_page(values, _errors(exc), key, 400)
    application_id = outcome.application.id
    flash(c.t("Your application has been received."))
    return redirect(url_for("members.application_status", application_id=application_id,
                            token=status_token(application_id)), 303)


def _followed(application_id: int):
    """The application whose status link this is (404 without its token)."""
    token = request.args.get("token", "")
    if not hmac.compare_digest(token.encode(), status_token(application_id).encode()):
        abort(404)
    return apps.get(crm(), application_id)


@blueprint.route("/join/status/<int:application_id>")
def application_status(application_id: int):
    """Where an applicant follows their application (needs the token of their link)."""
    application = _followed(application_id)
    amend_url = (url_for("members.amend", application_id=application_id,
                         token=status_token(application_id))
                 if application.status == "returned" else None)
    return render_template("web/members/status.html", application=application,
                           link=request.url, amend_url=amend_url)


@blueprint.route("/join/status/<int:application_id>/amend", methods=["GET", "POST"])
def amend(application_id: int):
    """The applicant corrects a returned application and sends it again (``member amend``)."""
    application = _followed(application_id)
    if application.status != "returned":
        return redirect(url_for("members.application_status", application_id=application_id,
                                token=status_token(application_id)), 303)
    action = url_for("members.amend", application_id=application_id,
                     token=status_token(application_id))
    if request.method == "GET":
        values = {f: "" if getattr(application, f, None) is None
                  else str(getattr(application, f)) for f in FORM_FIELDS}
        if application.take_home_pay is not None:
            values["take_home_pay"] = str(application.take_home_pay.amount)
        values["promotion"] = ""
        return _apply_page(values, {}, uuid.uuid4().hex, action=action, amend_of=application)
    values = _form_values()
    changes = {f: v for f, v in values.items() if v and f != "promotion"}
    c = crm()
    try:
        apps.amend(c, application_id, changes, Actor.public())
    except ValidationError as exc:
        return _apply_page(values, _errors(exc), request.form.get("key", ""), 400,
                           action=action, amend_of=application)
    flash(c.t("Your corrected application has been sent again."))
    return redirect(url_for("members.application_status", application_id=application_id,
                            token=status_token(application_id)), 303)


# --- staff: verifying and deciding ------------------------------------------------


def _queue(status: str):
    def items(c, who) -> list[QueueItem]:
        return [QueueItem(title=f"#{a.id} {a.full_name}",
                          url=url_for("members.application", application_id=a.id),
                          waiting_since=a.submitted_at,
                          note=" · ".join(x for x in (a.department, a.employee_number) if x))
                for a in apps.find(c, status)]

    return items


@blueprint.route("/applications/<int:application_id>")
@staff_only("members.view")
def application(application_id: int):
    """An application with the actions the signed-in person may take."""
    return _application_page(application_id, {})


def _application_page(application_id: int, errors: dict[str, str], status: int = 200):
    c = crm()
    a = apps.get(c, application_id)
    return render_template(
        "web/members/application.html", application=a, errors=errors,
        objections=apps.objections(c, a) if a.status in ("submitted", "verified") else [],
        may_verify=can("members.verify"), may_decide=can("members.decide")), status


def _act(application_id: int, step, done: str):
    try:
        step()
    except (ValidationError, IllegalTransition) as exc:
        field = getattr(exc, "field", None)
        return _application_page(application_id, {field or "_": str(exc)}, 400)
    flash(done)
    return redirect(url_for("members.application", application_id=application_id), 303)


@blueprint.route("/applications/<int:application_id>/verify", methods=["POST"])
@staff_only("members.verify")
def verify(application_id: int):
    """The secretary finds the application complete (``dyncrm member verify --accept``)."""
    return _act(application_id, lambda: apps.accept(crm(), application_id, actor()),
                crm().t("Application verified; the board decides next."))


@blueprint.route("/applications/<int:application_id>/return", methods=["POST"])
@staff_only("members.verify")
def return_it(application_id: int):
    """Return the application to the applicant with a reason."""
    reason = request.form.get("return_reason", "")
    try:
        apps.return_to_applicant(crm(), application_id, actor(), reason)
    except (ValidationError, IllegalTransition) as exc:
        return _application_page(application_id, {"return_reason": str(exc)}, 400)
    flash(crm().t("Application returned to the applicant."))
    return redirect(url_for("members.application", application_id=application_id), 303)


@blueprint.route("/applications/<int:application_id>/approve", methods=["POST"])
@staff_only("members.decide")
def approve(application_id: int):
    """The board approves: member number, login and its one-time activation code."""
    c = crm()
    try:
        result = apps.approve(c, application_id, actor())
    except (ValidationError, IllegalTransition) as exc:
        return _application_page(application_id, {"_": str(exc)}, 400)
    if result.replayed:
        flash(c.t("Already approved."))
        return redirect(url_for("members.application", application_id=application_id), 303)
    # the code is shown once, here, and never stored in clear: no redirect through a cookie
    return render_template("web/members/approved.html", result=result)


@blueprint.route("/applications/<int:application_id>/reject", methods=["POST"])
@staff_only("members.decide")
def reject(application_id: int):
    """The board rejects; the applicant is told the reason."""
    reason = request.form.get("reason", "").strip() or None
    try:
        apps.reject(crm(), application_id, actor(), reason)
    except (ValidationError, IllegalTransition) as exc:
        return _application_page(application_id, {"reason": str(exc)}, 400)
    flash(crm().t("Application rejected."))
    return redirect(url_for("members.application", application_id=application_id), 303)


# --- staff: the register --------------------------------------------------------------


@blueprint.route("/")
@staff_only("members.view")
def search():
    """Find members by name, member number, NIK or employee number."""
    q = request.args.get("q", "").strip()
    errors: dict[str, str] = {}
    found = []
    try:
        found = search_members(crm(), q)
    except ValidationError as exc:
        errors = _errors(exc)
    return render_template("web/members/search.html", q=q, found=found, errors=errors,
                           searched=bool(q)), 400 if errors else 200


@blueprint.route("/<int:member_id>")
@staff_only("members.view")
def member(member_id: int):
    """A member's record with every plugin's facts and the timeline (``dyncrm member show``)."""
    c = crm()
    try:
        info = c.member(member_id)
    except NotFoundError:
        abort(404)
    timeline = list(reversed(c.timeline(member_id)))
    matrix = {(phase, kind): 0 for phase in PHASES for kind in INFO_TYPES}
    for touchpoint in timeline:
        matrix[touchpoint.phase, touchpoint.info] = matrix.get(
            (touchpoint.phase, touchpoint.info), 0) + 1
    return render_template("web/members/member.html", member=info, facts=details(c, info),
                           timeline=timeline, matrix=matrix, phases=PHASES,
                           info_types=INFO_TYPES)


# --- members: their own profile --------------------------------------------------------


def _profile_page(values: dict[str, str], errors: dict[str, str], status: int = 200):
    c = crm()
    member_id = own_member_id()
    info = c.member(member_id)
    channels = [("", c.t("The cooperative's choice")),
                *[(name, name) for name in sorted(c.outbox.channels)]]
    return render_template("web/members/profile.html", member=info, values=values,
                           errors=errors, channels=channels,
                           profile=apps.profile(c, member_id),
                           card_url=url_for("cards.own") if _has_card(info) else None), status


def _has_card(info) -> bool:
    """Whether the member-card plugin can make this member's card (it is enabled, and the
    member has a number; the signing key is the configured one or the deployment's own)."""
    if not info.number or "cards.own" not in current_app.view_functions:
        return False
    from dyncrm_acquire.member_card import cards

    return bool(cards.settings(crm()).secret) or crm().config.path is not None


@blueprint.route("/me", methods=["GET", "POST"])
@member_only
def profile():
    """The member's own details: contact data, channel and marketing opt-out."""
    c = crm()
    if request.method == "GET":
        info = c.member(own_member_id())
        p = apps.profile(c, info.id)
        values = {"email": info.email or "", "mobile": info.phone or "",
                  "address": p.address if p else "",
                  "preferred_channel": info.preferred_channel or "",
                  "marketing_opt_out": "1" if info.marketing_opt_out else ""}
        return _profile_page(values, {})
    values = {f: request.form.get(f, "").strip() for f in (*OWN_EDITABLE, "preferred_channel")}
    values["marketing_opt_out"] = "1" if request.form.get("marketing_opt_out") else ""
    try:
        update_own_contact(c, actor(), {f: values[f] for f in OWN_EDITABLE},
                           preferred_channel=values["preferred_channel"],
                           marketing_opt_out=bool(values["marketing_opt_out"]))
    except ValidationError as exc:
        return _profile_page(values, _errors(exc), 400)
    flash(c.t("Your details are saved."))
    return redirect(url_for("members.profile"), 303)


@hookimpl
def dyncrm_web(crm):
    """The membership pages: apply online, verify and decide, the register."""
    return WebExtension(
        blueprint=blueprint,
        menu=[MenuEntry("Apply for membership", "members.apply", audience="public", order=10),
              MenuEntry("My profile", "members.profile", audience="member", order=90),
              MenuEntry("Members", "members.search", audience="staff",
                        permission="members.view", order=20)],
        queue=[QueueSource("Applications to verify", "members.verify", _queue("submitted"),
                           order=10),
               QueueSource("Applications to decide", "members.decide", _queue("verified"),
                           order=11)],
    )
