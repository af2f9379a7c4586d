"""expand.savings: members' requests to withdraw simpanan sukarela."""


def up(migrator, db):
    from dyncrm_expand.savings.models import SavingsWithdrawalRequest

    db.create_tables([SavingsWithdrawalRequest])


def down(migrator, db):
    from dyncrm_expand.savings.models import SavingsWithdrawalRequest

    db.drop_tables([SavingsWithdrawalRequest])
