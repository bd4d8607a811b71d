"""The SQLite store: papers, the days they were featured, their tags, and full-text search.

Why the shape it has:
- ``papers`` holds one row per arXiv id; a paper featured on several days has several ``appearances``.
- ``paper_tags`` is the truth about tags; ``tag_days`` repeats (tag, day, upvotes) per appearance so
  that "tag T, newest first" and "tag T on day D" are a single index range scan even at millions of
  papers (the query benchmark holds us to that).
- Upserts merge field by field by one order-free rule (:mod:`bot.store.merge`): a source that lacks a value
  never blanks what a richer source filled, the import order never matters, and a write happens only
  when something changed, so importing the same data twice changes nothing.
- Writes are IMMEDIATE transactions of at most ``BATCH_SIZE`` papers (:mod:`bot.store.database`), so the bot
  and ``paperboy import`` can write the same file at once; impossible days are refused here.
- Full-text search is a contentless FTS5 index whose row id is (last featured day, rowid), so "newest
  papers matching X" walks the index newest first and stops after a page (m003 says why).
- Schema changes are sqlite-utils migrations, applied on open.
"""


from bot.store.core import Store
from bot.store.migrations import migrations, tag_token
from bot.store.papers import BATCH_SIZE, UpsertStats, now_iso
from bot.store.queries import Query, fts_expression

__all__ = ["BATCH_SIZE", "Query", "Store", "UpsertStats", "fts_expression", "migrations", "now_iso", "tag_token"]
