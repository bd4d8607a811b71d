"""The store's small repositories on a real SQLite file: channels, the delivery ledger, subscriptions.

The rules over these rows are tested through :mod:`bot.channels`, :mod:`bot.delivery` and
:mod:`bot.subscriptions`; here, what only the repositories promise: stamps from the store's clock,
rows that survive reopening the file, and the ledger's "unfinished" order.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.clock import FixedClock
from bot.store import ChannelRows, Ledger, Store, SubscriptionRows

DAY = "2025-01-24"


def test_the_store_hands_out_one_repository_of_each(db_path):
    with Store(db_path) as store:
        assert type(store.channels) is ChannelRows and store.channels is store.channels
        assert type(store.subscriptions) is SubscriptionRows and store.subscriptions is store.subscriptions
        assert type(store.ledger) is Ledger and store.ledger.clock is store.clock


def test_channel_rows_are_stamped_by_the_store_clock(db_path):
    clock = FixedClock(datetime(2025, 1, 24, 8, 0, tzinfo=UTC))
    with Store(db_path, clock=clock) as store:
        store.channels.insert({"channel_id": "5", "guild_id": "1", "post_time": "08:00", "timezone": "UTC"})
        clock.set(datetime(2025, 1, 25, 9, 30, tzinfo=UTC))
        store.channels.update(5, {"paused": 1})
    with Store(db_path, readonly=True) as store:
        row = store.channels.get("5")
        assert (row["created_at"], row["updated_at"], row["paused"]) == (
            "2025-01-24T08:00:00+00:00", "2025-01-25T09:30:00+00:00", 1)
        assert [r["channel_id"] for r in store.channels.all(1)] == ["5"]
        assert store.channels.all(2) == []


def test_dms_closed_on_a_day_are_listed_for_the_fallback(db_path):
    with Store(db_path, clock=FixedClock()) as store:
        subs = store.subscriptions
        subs.mark_dms_closed("20", DAY)
        subs.remember_dm_channel("30", "300")
        subs.mark_dms_closed("10", DAY)
        subs.mark_dms_closed("40", "2025-01-23")
        assert subs.closed_on(DAY) == ["20", "10"]
        assert (subs.dm_channel("30"), subs.dms_closed_on("30"), subs.dms_closed_on("10")) == ("300", "", DAY)


def test_the_ledger_lists_unfinished_days_oldest_first(db_path):
    clock = FixedClock(datetime(2025, 1, 24, 8, 0, tzinfo=UTC))
    with Store(db_path) as store:
        ledger = Ledger(store, clock)
        plan = [{"kind": "paper", "paper_ids": ["2501.00001"], "payload": {"content": "x"}}]
        ledger.record_plan("channel:2", DAY, plan)
        ledger.record_plan("channel:1", "2025-01-23", plan)
        ledger.record_plan("channel:3", DAY, plan)
        ledger.mark("channel:3", DAY, 0, status="sent")
        assert ledger.unfinished() == [("channel:1", "2025-01-23"), ("channel:2", DAY)]
        assert ledger.rows("channel:2", DAY)[0]["created_at"] == "2025-01-24T08:00:00+00:00"
