"""points_ranking with a limit: a top-N query, or the head of the memoised full ranking when it is at hand."""

from __future__ import annotations

from datetime import date

import pandas as pd

from warehouse import query as q

YEAR = q.Filters(date(2023, 1, 1), date(2023, 12, 31))


def test_top_n_is_the_head_of_the_full_ranking(snapshot_con):
    q.clear_memo()
    full = q.points_ranking.uncached(snapshot_con, YEAR)
    assert len(full) > 2
    for limit in (0, 1, 2, len(full), len(full) + 5):
        top = q.points_ranking(snapshot_con, YEAR, limit=limit)
        pd.testing.assert_frame_equal(top, full.head(limit).reset_index(drop=True), check_exact=True)
        pd.testing.assert_frame_equal(q.points_ranking.uncached(snapshot_con, YEAR, limit=limit), top)
    q.clear_memo()


def test_a_limit_reads_the_memoised_full_ranking_instead_of_querying(snapshot_con):
    q.clear_memo()
    q.points_ranking(snapshot_con, YEAR, limit=2)
    assert not q._memo_holds(snapshot_con, q._full_ranking, YEAR)  # the top-N ran, not the full ranking
    full = q.points_ranking(snapshot_con, YEAR)
    assert q._memo_holds(snapshot_con, q._full_ranking, YEAR)
    calls = []
    original = q._frame
    q._frame = lambda *args, **kwargs: calls.append(args[1]) or original(*args, **kwargs)
    try:
        head = q.points_ranking(snapshot_con, YEAR, limit=3)
    finally:
        q._frame = original
    assert calls == []
    pd.testing.assert_frame_equal(head, full.head(3).reset_index(drop=True))
    q.clear_memo()
