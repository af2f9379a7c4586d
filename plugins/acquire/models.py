"""Tables of the acquire plugins (each plugin's migration creates only its own).

Full name, e-mail and mobile live on the core ``member`` row; the application
table keeps what only registration knows (KTP NIK, employee number,
employment) and the state of the application workflow.
"""

from __future__ import annotations

from peewee import (
    AutoField,
    BigIntegerField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from dyncrm.db import BaseModel, JSONField
from dyncrm.db.models import Member, utcnow


class ApplicationRow(BaseModel):
    """One membership application and the applicant's profile; key = the member id."""

    member = ForeignKeyField(Member, primary_key=True, backref="application",
                             on_delete="RESTRICT")
    status = CharField(index=True, default="submitted")
    nik = CharField(index=True)
    employee_number = CharField(null=True, index=True)
    department = CharField(null=True, index=True)
    address = TextField(default="")
    date_of_birth = DateField(null=True)
    gender = CharField(null=True)  # derived from the NIK: female | male
    employment_status = CharField(null=True)
    employment_start = DateField(null=True)
    take_home_pay = BigIntegerField(null=True)  # minor units of the organisation's currency
    referral_code = CharField(null=True)
    referrer = ForeignKeyField(Member, null=True, backref="referrals", on_delete="RESTRICT")
    promotion = IntegerField(null=True)  # promotion id the applicant answered, if any
    channel = CharField(default="desk")  # desk | web
    submitted_by = CharField()
    submitted_at = DateTimeField(default=utcnow)
    verified_by = CharField(null=True)
    verified_at = DateTimeField(null=True)
    decided_by = CharField(null=True)
    decided_at = DateTimeField(null=True)
    reason = TextField(null=True)  # of the last return or rejection

    class Meta:
        table_name = "acquire_application"


class CardRow(BaseModel):
    """One issue of a member card; the highest serial of a member is the valid card."""

    id = AutoField()
    member = ForeignKeyField(Member, backref="cards", on_delete="RESTRICT", index=True)
    serial = IntegerField()
    issued_at = DateTimeField(default=utcnow)
    issued_by = CharField()
    reason = TextField(default="")

    class Meta:
        table_name = "acquire_card"
        indexes = ((("member", "serial"), True),)


class ProductRow(BaseModel):
    """An offer added by staff (savings and loan products come from their plugins)."""

    code = CharField(primary_key=True)
    name = CharField()
    kind = CharField(default="other")
    description = TextField(default="")
    created_by = CharField()
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "acquire_product"


class PromotionRow(BaseModel):
    """A promotion: text, validity window, audience and channels."""

    id = AutoField()
    title = CharField()
    body = TextField()
    product = CharField(null=True)
    starts_on = DateField()
    ends_on = DateField(null=True)
    audience = CharField()
    audience_arg = CharField(null=True)
    channels = JSONField(default=list)
    created_by = CharField()
    created_at = DateTimeField(default=utcnow)
    stopped_at = DateTimeField(null=True)
    # the banner image: a generated file name in <data_dir>/promotions (re-encoded PNG/JPEG)
    banner = CharField(null=True)
    banner_width = IntegerField(null=True)
    banner_height = IntegerField(null=True)

    class Meta:
        table_name = "acquire_promotion"


class PromotionEventRow(BaseModel):
    """A member reached by, viewing, claiming, applying for or joining through a promotion.

    At most one row per (promotion, member, kind), so the funnel counts people.
    """

    id = AutoField()
    promotion = ForeignKeyField(PromotionRow, backref="events", on_delete="RESTRICT")
    member = ForeignKeyField(Member, backref="promotion_events", on_delete="RESTRICT")
    kind = CharField()  # reached | viewed | claimed | applied | joined
    at = DateTimeField(default=utcnow)
    actor = CharField()

    class Meta:
        table_name = "acquire_promotion_event"
        indexes = ((("promotion", "member", "kind"), True), (("promotion", "kind"), False))


REGISTRATION_MODELS = [ApplicationRow]
CARD_MODELS = [CardRow]
PROMOTION_MODELS = [ProductRow, PromotionRow, PromotionEventRow]
