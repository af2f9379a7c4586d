"""expand.savings: deposits, obligations and member classes."""


def _tables():
    from dyncrm_expand.savings.models import SavingsDeposit, SavingsMemberClass, SavingsObligation

    return [SavingsDeposit, SavingsObligation, SavingsMemberClass]


def up(migrator, db):
    db.create_tables(_tables())


def down(migrator, db):
    db.drop_tables(list(reversed(_tables())))
