"""Tables of acquire.member_card."""


def up(migrator, db):
    from dyncrm_acquire.models import CARD_MODELS

    db.create_tables(CARD_MODELS)


def down(migrator, db):
    from dyncrm_acquire.models import CARD_MODELS

    db.drop_tables(list(reversed(CARD_MODELS)))
