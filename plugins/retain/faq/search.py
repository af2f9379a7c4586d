"""FAQ search: words in question or answer, case- and accent-insensitive.

Text is *folded* before it is indexed and before it is searched: Unicode
compatibility decomposition, accents dropped, case folded, apostrophes
removed (``Jum'at`` → ``jumat``) and punctuation turned into spaces
(``anggota-anggota`` → ``anggota anggota``).  Two back ends answer the same
question:

- **fts5** (SQLite with FTS5): the ``faq_search`` table, ranked by BM25 with
  the question weighted double; every word must occur, as a word or the start
  of one (``pinjam`` finds ``pinjaman``);
- **like** (PostgreSQL, MySQL, SQLite without FTS5): ``LIKE`` over the folded
  ``search_text`` column; every word must occur anywhere (also inside words).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from peewee import OperationalError, SqliteDatabase

from dyncrm_retain.faq.models import FTS_TABLE, FaqEntry

_APOSTROPHES = str.maketrans("", "", "'’`´ʼ")
#: Latin letters that Unicode does not decompose into a base letter and an accent.
_LETTERS = str.maketrans({"ı": "i", "ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d",
                          "Đ": "d", "ħ": "h", "Ħ": "h", "æ": "ae", "Æ": "ae", "œ": "oe",
                          "Œ": "oe", "ŀ": "l", "Ŀ": "l"})


def fold(text: str) -> str:
    """Lower-case, accent-free, punctuation-free text with single spaces."""
    decomposed = unicodedata.normalize("NFKD", text or "").translate(_APOSTROPHES)
    decomposed = decomposed.translate(_LETTERS)
    out = []
    for ch in decomposed:
        if unicodedata.category(ch) == "Mn":
            continue
        out.append(ch if ch.isalnum() else " ")
    return " ".join("".join(out).casefold().split())


def words(query: str) -> list[str]:
    """The distinct folded words of a query, in order."""
    return list(dict.fromkeys(fold(query).split()))


def search_text(question: str, answer: str) -> str:
    """What the fallback searches: folded question, a newline, folded answer."""
    return f"{fold(question)}\n{fold(answer)}"


def _is_sqlite(db: Any) -> bool:
    db = getattr(db, "obj", db)  # a DatabaseProxy
    return isinstance(db, SqliteDatabase)


def create_fts_table(db: Any) -> bool:
    """Create the FTS5 table if the database is SQLite with FTS5; True if it exists now."""
    if not _is_sqlite(db):
        return False
    try:
        with db.atomic():
            db.execute_sql(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
                "question, answer, tokenize = 'unicode61 remove_diacritics 2')")
    except OperationalError:
        return False
    return True


def has_fts(db: Any) -> bool:
    """True when the FTS5 table exists in this database."""
    if not _is_sqlite(db):
        return False
    cursor = db.execute_sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                            (FTS_TABLE,))
    return cursor.fetchone() is not None


def backend(crm: Any) -> str:
    """``"fts5"`` or ``"like"``: the setting, or ``auto`` = fts5 where the table exists."""
    from dyncrm_retain.faq.store import settings

    wanted = settings(crm).search
    if wanted == "like":
        return "like"
    available = has_fts(crm.db)
    if wanted == "fts5" and not available:
        from dyncrm.errors import ConfigError

        raise ConfigError("search = 'fts5' needs SQLite with FTS5; use 'auto' or 'like'",
                          key='plugins."retain.faq".search')
    return "fts5" if available else "like"


def index(db: Any, entry: FaqEntry) -> None:
    """Bring the FTS5 row of ``entry`` up to date (no-op without FTS5)."""
    if not has_fts(db):
        return
    db.execute_sql(f"DELETE FROM {FTS_TABLE} WHERE rowid = ?", (entry.id,))
    db.execute_sql(f"INSERT INTO {FTS_TABLE} (rowid, question, answer) VALUES (?, ?, ?)",
                   (entry.id, fold(entry.question), fold(entry.answer)))


def _fts_query(terms: list[str]) -> str:
    return " ".join(f'"{t}"*' for t in terms)


def search(crm: Any, query: str, *, published_only: bool, category: str | None = None,
           limit: int = 20) -> list[FaqEntry]:
    """Entries whose question or answer contain every word of ``query``, best first."""
    terms = words(query)
    if not terms:
        return []
    if backend(crm) == "fts5":
        sql = (f"SELECT e.id FROM {FTS_TABLE} AS s JOIN faq_entry AS e ON e.id = s.rowid "
               f"WHERE {FTS_TABLE} MATCH ?")
        params: list[Any] = [_fts_query(terms)]
        if published_only:
            sql += " AND e.published = 1"
        if category:
            sql += " AND e.category = ?"
            params.append(category)
        sql += f" ORDER BY bm25({FTS_TABLE}, 2.0, 1.0), e.position, e.id LIMIT ?"
        params.append(limit)
        ids = [row[0] for row in crm.db.execute_sql(sql, params)]
        rows = {r.id: r for r in FaqEntry.select().where(FaqEntry.id.in_(ids))} if ids else {}
        return [rows[i] for i in ids if i in rows]
    q = FaqEntry.select()
    for term in terms:
        q = q.where(FaqEntry.search_text.contains(term))
    if published_only:
        q = q.where(FaqEntry.published == True)  # noqa: E712 (SQL, not Python)
    if category:
        q = q.where(FaqEntry.category == category)
    found = list(q.order_by(FaqEntry.position, FaqEntry.id))

    def rank(e: FaqEntry) -> tuple[int, int]:
        question = e.search_text.split("\n", 1)[0]
        return (-sum(1 for t in terms if t in question), 0)

    return sorted(found, key=rank)[:limit]
