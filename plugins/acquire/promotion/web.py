"""Promotions in the web portal.

Members see the promotions addressed to them and the catalogue of products;
"Apply / join" records their claim of the promotion (``track(..., "claimed")``,
the same record the funnel counts) and takes them to the product's page.
Staff holding ``promotions.manage`` list promotions with their funnel and
create new ones (the checks of ``dyncrm promo add``).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from dyncrm import hookimpl
from dyncrm.errors import ValidationError
from dyncrm.web import MenuEntry, WebExtension
from dyncrm.web.guards import actor, crm, member_only, own_member_id, staff_only
from dyncrm_acquire import validate
from dyncrm_acquire.promotion import promotions as promos

blueprint = Blueprint("promotions", __name__, url_prefix="/promotions",
                      template_folder="templates")

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
                       ends_on=ends, product=values["product"] or None)
    except ValidationError as exc:
        return _manage_page(values, {exc.field or "_": str(exc)}, 400)
    flash(c.t("Promotion {id} created.", id=p.id))
    return redirect(url_for("promotions.manage"), 303)


@hookimpl
def dyncrm_web(crm):
    """The promotions pages: offers for members, management for staff."""
    return WebExtension(
        blueprint=blueprint,
        menu=[MenuEntry("Offers", "promotions.offers", audience="member", order=80),
              MenuEntry("Promotions", "promotions.manage", audience="staff",
                        permission="promotions.manage", order=70)],
    )
