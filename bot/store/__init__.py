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
- Every other table has a small repository here (channels, the delivery ledger, subscriptions), reached
  as ``store.channels``, ``store.ledger``, ``store.subscriptions``: nothing outside this package runs SQL
  (tests/test_store_sql_owner.py holds us to that), so the schema and every statement over it change
  together in one place.
"""


from bot.store import _without_numpy  # noqa: F401  (first: sqlite-utils must not pull in numpy; see there)
from bot.store.channels import ChannelRows
from bot.store.core import Store
from bot.store.ledger import Ledger
from bot.store.migrations import migrations, tag_token
from bot.store.papers import BATCH_SIZE, UpsertStats, now_iso
from bot.store.queries import Query, fts_expression
from bot.store.subscriptions import SubscriptionRows

__all__ = ["BATCH_SIZE", "ChannelRows", "Ledger", "Query", "Store", "SubscriptionRows", "UpsertStats", "fts_expression",
           "migrations", "now_iso", "tag_token"]
