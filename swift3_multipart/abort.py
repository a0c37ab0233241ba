"""Aborting an upload of our layout, the one way AbortMultipartUpload, the
lifecycle reaper and the audit tool all do it, and Complete's half of the
race with it.

Swift has no compare-and-swap, so Abort and Complete settle their race as a
pair of flags, each written before the other's is read (X-Newest):

* Complete writes its manifest, then reads the abort record. If it is
  there, the Complete backs off: it takes its own manifest down again (if
  its PUT was the one an object server took), frees the attempts no
  manifest of the upload names, and answers NoSuchUpload.
* Abort writes the abort record, then reads the key. It deletes every
  attempt except those a manifest of this upload names. The abort record
  stays: a live object is what a read with X-Newest finds for sure (the
  404 of a tombstone tells its timestamp only if the first replica to
  answer holds it).

Whichever of the two reads second sees the other's flag: a Complete that
stands (read no trace) wrote its manifest before the Abort read the key, so
the Abort kept its parts; a Complete whose manifest the Abort did not see
reads the abort record and backs off. Nobody writes a decision that another
could write differently, so no order of commits, on one object server or
three, makes them disagree; no step waits on time, so no backend speed
breaks it. The Abort answers 204 in both cases; S3 allows it ("Abort" and
"Complete" both succeed when they race:
https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html).

The backend (:class:`Backend`) is how one caller reaches Swift.
"""

from swift.common.http import is_success
from swift.common.utils.timestamp import Timestamp

from swift3_multipart import layout

# the abort record's timestamp: an offset above the upload's initiation
WRITTEN_OFFSET = 1


def record_timestamp(upload_id):
    """The X-Timestamp the abort record is written at: one per upload, so
    that every Abort of it writes the same."""
    initiated = layout.initiated_of(upload_id)
    return Timestamp(initiated.timestamp, offset=WRITTEN_OFFSET)


class Backend(object):
    """What :func:`abort` needs of Swift, for one upload."""

    def record_exists(self):
        """True if the upload's record is live (X-Newest)."""
        raise NotImplementedError

    def delete_record(self):
        raise NotImplementedError

    def aborted(self):
        """True if the abort record is there (X-Newest)."""
        raise NotImplementedError

    def write_abort_record(self, timestamp):
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


def abort(backend, upload_id, sweep=False):
    """
    Abort an upload of our layout, or finish an Abort that stopped half
    way. A repeated Abort of an aborted upload deletes the attempts that
    UploadParts racing the first one left (the listing may have lacked
    them), as AWS says one may have to abort more than once.

    :param sweep: free what an upload that completed (or never was) left:
        the attempts no manifest of it names (those a listing lagging
        behind its Complete missed, or an UploadPart after it wrote), as
        the reaper and the audit tool do. The abort record goes first here
        too, so that a Complete still under way backs off. An upload in
        progress is left alone.
    :returns: an :class:`Outcome`.
    """
    if sweep:
        if backend.record_exists():
            return Outcome(False, 0)
        backend.write_abort_record(record_timestamp(upload_id))
        first = False
    elif backend.record_exists():
        backend.write_abort_record(record_timestamp(upload_id))
        backend.delete_record()
        first = True
    elif backend.aborted():
        first = False
    else:
        # never created, or completed without any Abort
        return Outcome(False, 0)
    # a racing Complete that stands wrote its manifest before this read
    deleted = free_unnamed(backend)
    # the Abort that found the record aborted; a repeat counts if it found
    # leftovers
    return Outcome(first or deleted > 0, deleted)


def free_unnamed(backend, more=()):
    """
    Delete the attempts no manifest of the upload names (read now), and
    ``more`` names of the segments container.

    :returns: how many were there.
    """
    keep = backend.manifest_segments() or set()
    return backend.delete([name for name in backend.attempts()
                           if name not in keep] + list(more))


def shows_abort(resp, upload_id):
    """
    True if ``resp``, a HEAD of the abort record with X-Newest, finds it:
    live, or the tombstone of one (an earlier build deleted it), whose 404
    tells when.
    """
    if is_success(resp.status_int):
        return True
    when = resp.headers.get('X-Backend-Timestamp')
    return bool(when) and Timestamp(when) >= record_timestamp(upload_id)


def may_complete(backend):
    """
    Complete's half of the pair, once its manifest is written: read the
    abort record.

    :returns: True if the Complete stands (no Abort has begun), False if
        it must back off.
    """
    return not backend.aborted()
