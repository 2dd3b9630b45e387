"""The rules that tell a lost log from an intact one, on modelled logs: what a production Kafka
does after an unclean leader election (a partition truncated, then written on by others) or a
cluster rebuild (every partition from zero), which the embedded broker cannot show."""

import itertools

from aiokafka import TopicPartition
from hypothesis import given, settings
from hypothesis import strategies as st
from messaging.broker_log import Bounds, StoredRecord
from messaging.log_marks import AcknowledgedMarks, Mark, Sent, checkable, judge, locate
from messaging.publisher import Ack
from messaging.read_positions import Anchor, lost_anchor, resume_point

TP = TopicPartition("cairn.profiles.people", 0)
_ids = itertools.count()
# Pure and fast, but the machine is shared: a slow example is no failure.
RULES = settings(deadline=None)


def records(count: int, *, owner: str = "other", first: int = 0) -> list[StoredRecord]:
    """`count` distinct records (each written once: its own fingerprint)."""
    made = []
    for offset in range(first, first + count):
        n = next(_ids)
        made.append(StoredRecord(offset, 1_000 + n, f"{owner}-{n}", "person.created", f"fp{n}"))
    return made


def renumbered(log: list[StoredRecord]) -> list[StoredRecord]:
    return [
        StoredRecord(i, r.timestamp, r.event_id, r.event_type, r.fingerprint)
        for i, r in enumerate(log)
    ]


def truncated_and_regrown(old: list[StoredRecord], keep: int, regrow: int) -> list[StoredRecord]:
    """An unclean leader election: the new leader has the first `keep` records, then others
    write `regrow` new ones. keep=0 is a cluster rebuilt from nothing."""
    return renumbered(old[:keep] + records(regrow))


def at(log: list[StoredRecord], offset: int) -> StoredRecord | None:
    return log[offset] if 0 <= offset < len(log) else None


# A consumer's position -------------------------------------------------------------------


@RULES
@given(
    length=st.integers(1, 40),
    read=st.integers(1, 40),
    keep=st.integers(0, 40),
    regrow=st.integers(0, 60),
)
def test_a_consumer_never_reads_on_past_a_record_it_has_not_read(
    length: int, read: int, keep: int, regrow: int
) -> None:
    old = records(length)
    read, keep = min(read, length), min(keep, length)
    anchor = Anchor(read - 1, old[read - 1].fingerprint)  # it read old[:read]
    new = truncated_and_regrown(old, keep, regrow)
    reason = lost_anchor(anchor, Bounds(0, len(new)), at(new, anchor.offset))
    if reason is None:
        # Reading on from `read` is safe only if everything below it is what it read.
        assert new[:read] == old[:read]
    if keep >= read:
        assert reason is None  # the truncation left what it read alone: no needless re-read


@RULES
@given(
    length=st.integers(1, 40),
    read=st.integers(1, 40),
    keep=st.integers(0, 40),
    regrow=st.integers(0, 60),
    committed_shift=st.integers(-5, 5),
)
def test_a_reassigned_partition_resumes_only_on_the_log_it_committed_in(
    length: int, read: int, keep: int, regrow: int, committed_shift: int
) -> None:
    old = records(length)
    read, keep = min(read, length), min(keep, length)
    remembered = Anchor(read - 1, old[read - 1].fingerprint)
    new = truncated_and_regrown(old, keep, regrow)
    # Its own commit (read), or one made elsewhere in the group meanwhile.
    committed = max(0, read + committed_shift)
    before = at(new, committed - 1) if committed > 0 else None
    resume = resume_point(committed, Bounds(0, len(new)), remembered, before, None)
    if resume.reset is None and committed == read:
        assert new[:read] == old[:read]
    if resume.reset is not None:
        assert resume.offset == 0  # back to the log's start, never to its end
    if committed > len(new):
        assert resume.reset is not None


def test_a_committed_offset_beyond_the_end_reads_the_log_from_its_start() -> None:
    resume = resume_point(500, Bounds(0, 12), None, None, None)
    assert resume.offset == 0 and resume.reset is not None
    assert "beyond the log's end 12" in resume.reset


def test_a_group_whose_offsets_the_broker_forgot_starts_over_loudly_only_if_it_had_read() -> None:
    assert resume_point(None, Bounds(0, 7), None, None, None).reset is None
    forgotten = resume_point(None, Bounds(0, 7), Anchor(40, "fp"), None, None)
    assert forgotten.offset == 0 and forgotten.reset is not None


def test_an_offset_standing_on_an_event_never_applied_is_not_trusted() -> None:
    log = records(30)
    resume = resume_point(20, Bounds(0, 30), None, log[19], applied_before=False)
    assert resume.offset == 0 and resume.reset is not None
    trusted = resume_point(20, Bounds(0, 30), None, log[19], applied_before=True)
    assert trusted.offset == 20 and trusted.reset is None
    assert trusted.anchor == Anchor(19, log[19].fingerprint)  # watched from now on
    unknown = resume_point(20, Bounds(0, 30), None, log[19], applied_before=None)
    assert unknown.offset == 20


def test_records_removed_by_the_brokers_own_retention_are_no_loss() -> None:
    anchor = Anchor(5, "fp")
    assert lost_anchor(anchor, Bounds(10, 50), None) is None
    assert resume_point(3, Bounds(10, 50), anchor, None, None).reset is None


# A relay's acknowledged records ---------------------------------------------------------------


@RULES
@given(
    ours=st.lists(st.booleans(), min_size=1, max_size=40),
    keep=st.integers(0, 40),
    regrow=st.integers(0, 60),
)
def test_a_relay_sees_a_loss_exactly_when_its_newest_acknowledged_record_is_gone(
    ours: list[bool], keep: int, regrow: int
) -> None:
    """A partition written by the relay (True) and others (False); the relay's mark is its
    newest acknowledged record. After truncation and regrowth, judge says lost iff that
    record is gone (then everything of ours above the truncation went with it)."""
    if not any(ours):
        ours[-1] = True
    old = [
        records(1, owner="relay" if mine else "other", first=i)[0] for i, mine in enumerate(ours)
    ]
    newest = max(i for i, mine in enumerate(ours) if mine)
    marks = {TP: Mark(newest, str(old[newest].event_id))}
    keep = min(keep, len(old))
    new = truncated_and_regrown(old, keep, regrow)
    bounds = {TP: Bounds(0, len(new))}
    at_marks = {tp: at(new, offset) for tp, offset in checkable(marks, bounds).items()}
    losses = judge(marks, bounds, at_marks)
    assert bool(losses) == (keep <= newest)


def test_an_ack_at_or_below_the_last_one_means_a_new_log() -> None:
    marks = AcknowledgedMarks()
    assert marks.acknowledged([Ack("e1", TP.topic, 0, 10), Ack("e2", TP.topic, 0, 11)]) == []
    assert marks.acknowledged([Ack("e3", TP.topic, 0, 12)]) == []
    losses = marks.acknowledged([Ack("e4", TP.topic, 0, 3)])
    assert [loss.partition for loss in losses] == [TP]
    assert marks.marks[TP] == Mark(3, "e4")  # from now on the new log is watched


def test_after_a_restart_the_relay_finds_its_newest_sent_event_in_the_tails() -> None:
    other = TopicPartition(TP.topic, 2)
    tails = {TP: records(5, owner="relay", first=95), other: records(3, first=40)}
    bounds = {TP: Bounds(0, 100), other: Bounds(0, 43)}
    newest = tails[TP][2]
    sent = Sent(str(newest.event_id), timestamp_ms=newest.timestamp)
    assert locate(sent, tails, bounds, skew_ms=0) == (TP, Mark(97, sent.event_id))
    # In another partition than the key maps to now (a topic made again, with more of them).
    moved = tails[other][1]
    assert locate(Sent(str(moved.event_id), moved.timestamp), tails, bounds, skew_ms=0) == (
        other,
        Mark(41, str(moved.event_id)),
    )
    # Every tail goes back to before the event was created: it would be there.
    missing = Sent("relay-never-stored", timestamp_ms=newest.timestamp + 10_000)
    assert locate(missing, tails, bounds, skew_ms=1_000) == "missing"
    # Created before the tails' oldest records: read further back before saying anything.
    older = Sent("relay-older", timestamp_ms=tails[TP][0].timestamp - 60_000)
    assert locate(older, tails, bounds, skew_ms=1_000) is None
    # Empty logs hold nothing of ours.
    empty = {TP: Bounds(0, 0), other: Bounds(0, 0)}
    assert locate(older, {TP: [], other: []}, empty, skew_ms=1_000) == "missing"
