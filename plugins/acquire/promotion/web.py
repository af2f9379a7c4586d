"""Promotions in the web portal.

Members see the promotions addressed to them and the catalogue of products;
"Apply / join" records their claim of the promotion (``track(..., "claimed")``,
the same record the funnel counts) and takes them to the product's page.
Staff holding ``promotions.manage`` list promotions with their funnel and
create new ones (the checks of ``dyncrm promo add``), with a banner image they
may replace or remove later.  A banner is served only to those who may see
its promotion, as the re-encoded image it was stored as (inline, ``nosniff``).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from dyncrm import hookimpl
from dyncrm.errors import ValidationError
from dyncrm.web import MenuEntry, WebExtension
from dyncrm.web.forms import field_error, form_key
from dyncrm.web.guards import actor, crm, member_only, own_member_id, signed_in, staff_only
from dyncrm_acquire import validate
from dyncrm_acquire.promotion import banners
from dyncrm_acquire.promotion import promotions as promos

blueprint = Blueprint("promotions", __name__, url_prefix="/promotions",
                      template_folder="templates", static_folder="static")

#: where each kind of product is taken up in the portal (when that page exists)
PRODUCT_PAGES = {"loan": "loans.simulate", "savings": "savings.overview"}
#: the fields of the new-promotion form
FIELDS = ("title", "body", "audience", "starts_on", "ends_on", "product")


def _product_url(product_code: str | None) -> str | None:
    """The portal page where the member takes up ``product_code``, if there is one."""
    if not product_code:
        return None
    found = {p.code: p for p in promos.products(crm())}.get(product_code)
    endpoint = PRODUCT_PAGES.get(found.kind) if found else None
    if endpoint is None or endpoint not in current_app.view_functions:
        return None
    if found.kind == "loan":
        return url_for(endpoint, product=found.code)
    return url_for(endpoint)


def _offers_page(errors: dict[str, str], status: int = 200):
    c = crm()
    member_id = own_member_id()
    member = c.member(member_id)
    offers = []
    for p in promos.active_for(c, member_id):
        subject, body = promos.render(c, p, member)
        offers.append({"promotion": p, "subject": subject, "body": body})
    return render_template("web/promotions/offers.html", offers=offers,
                           products=promos.products(c), errors=errors,
                           product_url=_product_url), status


@blueprint.route("/")
@member_only
def offers():
    """The promotions addressed to the member and the product catalogue."""
    return _offers_page({})


@blueprint.route("/<int:promotion_id>/claim", methods=["POST"])
@member_only
def claim(promotion_id: int):
    """The member takes up a promotion: recorded, then on to the product's page."""
    c = crm()
    try:
        promos.track(c, promotion_id, own_member_id(), "claimed", actor())
    except ValidationError as exc:
        return _offers_page({"_": str(exc)}, 400)
    promo = promos.get(c, promotion_id)
    flash(c.t("Thank you for your interest."))
    return redirect(_product_url(promo.product) or url_for("promotions.offers"), 303)


# --- staff -----------------------------------------------------------------------------


def _manage_page(values: dict[str, str], errors: dict[str, str], status: int = 200):
    c = crm()
    funnel = {r.promotion: r for r in promos.funnel(c)}
    products = [("", c.t("None")), *[(p.code, p.name) for p in promos.products(c)]]
    return render_template("web/promotions/manage.html", found=promos.find(c), funnel=funnel,
                           values=values, errors=errors, products=products), status


@blueprint.route("/manage", methods=["GET", "POST"])
@staff_only("promotions.manage")
def manage():
    """Every promotion with its funnel, and the form to create one."""
    c = crm()
    if request.method == "GET":
        return _manage_page({**{f: "" for f in FIELDS}, "audience": "everyone"}, {})
    values = {f: request.form.get(f, "").strip() for f in FIELDS}
    try:
        starts = validate.date(values["starts_on"], "starts_on") if values["starts_on"] else None
        ends = validate.date(values["ends_on"], "ends_on") if values["ends_on"] else None
        p = promos.add(c, actor(), title=values["title"], body=values["body"],
                       audience=values["audience"] or "everyone", starts_on=starts,
                       ends_on=ends, product=values["product"] or None,
                       banner=_uploaded_banner())
    except ValidationError as exc:
        return _manage_page(values, field_error(exc), 400)
    flash(c.t("Promotion {id} created.", id=p.id))
    return redirect(url_for("promotions.manage"), 303)


def _uploaded_banner() -> bytes | None:
    """The bytes of the banner file sent with the form, or ``None`` when none was chosen."""
    upload = request.files.get("banner")
    if upload is None or not upload.filename:
        return None
    return upload.read()


def _promotion_page(promotion_id: int, errors: dict[str, str] | None = None,
                    status: int = 200):
    c = crm()
    return render_template("web/promotions/promotion.html", p=promos.get(c, promotion_id),
                           errors=errors or {}, key=form_key(None)), status


@blueprint.route("/manage/<int:promotion_id>")
@staff_only("promotions.manage")
def promotion(promotion_id: int):
    """One promotion for staff: its text, its banner and the forms to change the banner."""
    return _promotion_page(promotion_id)


@blueprint.route("/manage/<int:promotion_id>/banner", methods=["POST"])
@staff_only("promotions.manage")
def upload_banner(promotion_id: int):
    """Attach or replace the promotion's banner image."""
    c = crm()
    data = _uploaded_banner()
    try:
        if data is None:
            raise ValidationError(c.t("Choose an image file."), field=banners.FIELD)
        banners.set_banner(c, actor(), promotion_id, data,
                           key=form_key(request.form.get("key")))
    except ValidationError as exc:
        return _promotion_page(promotion_id, field_error(exc), 400)
    flash(c.t("The banner is saved."))
    return redirect(url_for("promotions.promotion", promotion_id=promotion_id), 303)


@blueprint.route("/manage/<int:promotion_id>/banner/remove", methods=["POST"])
@staff_only("promotions.manage")
def remove_banner(promotion_id: int):
    """Take the banner off the promotion."""
    c = crm()
    if banners.remove_banner(c, actor(), promotion_id):
        flash(c.t("The banner is removed."))
    return redirect(url_for("promotions.promotion", promotion_id=promotion_id), 303)


@blueprint.route("/<int:promotion_id>/banner")
@signed_in
def banner(promotion_id: int):
    """The banner image, only for staff managing promotions and members it is addressed to.

    It is the image as re-encoded when stored, so it is shown inline, never sniffed.
    """
    served = banners.read_banner(crm(), actor(), promotion_id)
    response = send_file(served.path, mimetype=served.content_type, conditional=False)
    response.headers["Content-Type"] = served.content_type
    response.headers["Content-Disposition"] = "inline"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@hookimpl
def dyncrm_web(crm):
    """The promotions pages: offers for members, management for staff."""
    return WebExtension(
        blueprint=blueprint,
        menu=[MenuEntry("Offers", "promotions.offers", audience="member", order=80),
              MenuEntry("Promotions", "promotions.manage", audience="staff",
                        permission="promotions.manage", order=70)],
    )
