"""Aborting an upload of our layout, the one way AbortMultipartUpload, the
lifecycle reaper and the audit tool all do it.

Swift has no compare-and-swap, so Abort and Complete settle their race as a
pair of flags: each writes its own, then reads the other's with X-Newest.

* Complete writes the manifest, then reads the abort record.
* Abort writes the abort record ("aborting"), then reads the key.

At least one of them sees the other: either Abort sees the manifest (and
keeps the parts: the upload is completed, NoSuchUpload), or Complete sees
"aborting" and waits for the decision. The decision is written at one
timestamp derived from the upload (:func:`state_timestamp`), so that the
first decision to reach an object server is the one it keeps, whoever
wrote it; every decider reads it back and follows what is stored, not what
it wrote. A state never goes back: "aborting" is written below the
decision's timestamp, and an object server refuses a PUT that is not newer
than what it holds.

No step waits on time, so no backend speed breaks this.

The backend (:class:`Backend`) is how one caller reaches Swift.
"""

from swift.common.utils.timestamp import Timestamp

from swift3_multipart import layout

# the offsets of the abort record's states above the upload's initiation
ABORTING_OFFSET = 1
DECISION_OFFSET = 2


def state_timestamp(upload_id, state):
    """The X-Timestamp an abort record state is written at."""
    initiated = layout.initiated_of(upload_id)
    offset = ABORTING_OFFSET if state == layout.ABORTING else \
        DECISION_OFFSET
    return Timestamp(initiated.timestamp, offset=offset)


class Backend(object):
    """What :func:`abort` needs of Swift, for one upload."""

    def record_exists(self):
        """True if the upload's record is live (X-Newest)."""
        raise NotImplementedError

    def delete_record(self):
        raise NotImplementedError

    def abort_state(self):
        """The abort record's state (X-Newest), or None if there is
        none."""
        raise NotImplementedError

    def write_abort_state(self, state, timestamp):
        """PUT the abort record with ``state`` at ``timestamp``."""
        raise NotImplementedError

    def manifest_segments(self):
        """The segment names of the manifests this upload completed into
        (a set), or None if there is none."""
        raise NotImplementedError

    def attempts(self):
        """The names of every part attempt of the upload (a list)."""
        raise NotImplementedError

    def delete(self, names):
        """DELETE these names of the segments container; :returns: how
        many were there."""
        raise NotImplementedError


class Outcome(object):
    """What an abort found and did."""

    def __init__(self, aborted, deleted):
        #: True: the upload is aborted (S3 answers 204); False: there was
        #: nothing to abort, or it completed (NoSuchUpload)
        self.aborted = aborted
        #: how many part attempts were deleted
        self.deleted = deleted


def abort(backend, upload_id):
    """
    Abort an upload of our layout, or finish an Abort that stopped half
    way. A repeated Abort of an aborted upload deletes the attempts that
    UploadParts racing the first one left (the listing may have lacked
    them), as AWS says one may have to abort more than once.

    https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html

    :returns: an :class:`Outcome`.
    """
    decided_now = False
    if backend.record_exists():
        backend.write_abort_state(
            layout.ABORTING, state_timestamp(upload_id, layout.ABORTING))
        backend.delete_record()
        state = layout.ABORTING
    else:
        state = backend.abort_state()
        if state is None:
            # never created, or completed without any Abort
            return Outcome(False, 0)
    if state not in (layout.ABORT_KEEPS, layout.ABORT_DELETES):
        state = decide(backend, upload_id)
        decided_now = True
    if state == layout.ABORT_KEEPS:
        keep = backend.manifest_segments() or set()
        deleted = backend.delete(
            [name for name in backend.attempts() if name not in keep])
        return Outcome(False, deleted)
    deleted = backend.delete(backend.attempts())
    # the Abort that decided aborted; a repeat counts if it found leftovers
    return Outcome(decided_now or deleted > 0, deleted)


def decide(backend, upload_id):
    """
    Decide an Abort the abort record says is under way: keep the parts if
    the key holds this upload's manifest, else delete them.

    :returns: the decision as stored, which may be another decider's.
    """
    wanted = layout.ABORT_KEEPS if backend.manifest_segments() is not None \
        else layout.ABORT_DELETES
    backend.write_abort_state(wanted, state_timestamp(
        upload_id, layout.ABORT_DELETES))
    stored = backend.abort_state()
    if stored not in (layout.ABORT_KEEPS, layout.ABORT_DELETES):
        # the write failed everywhere we read: follow our own reading
        stored = wanted
    return stored


def may_complete(backend, upload_id):
    """
    Complete's half of the pair, once its manifest is written: read the
    abort record. An Abort under way but undecided is decided here, for
    the Abort (S3 lets an Abort racing a Complete win); every decider
    follows the decision stored first.

    :returns: True if the Complete stands (no Abort, or one that found the
        manifest and keeps the parts), False if it must back off.
    """
    state = backend.abort_state()
    if state == layout.ABORTING:
        backend.write_abort_state(layout.ABORT_DELETES, state_timestamp(
            upload_id, layout.ABORT_DELETES))
        state = backend.abort_state()
        if state not in (layout.ABORT_KEEPS, layout.ABORT_DELETES):
            state = layout.ABORT_DELETES
    return state in (None, layout.ABORT_KEEPS)
