"""retain.faq: entries, votes, and the FTS5 search index where SQLite has FTS5."""


def up(migrator, db):
    from dyncrm_retain.faq.models import MODELS
    from dyncrm_retain.faq.search import create_fts_table

    db.create_tables(MODELS)
    create_fts_table(db)


def down(migrator, db):
    from dyncrm_retain.faq.models import FTS_TABLE, MODELS

    db.execute_sql(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    db.drop_tables(list(reversed(MODELS)))
