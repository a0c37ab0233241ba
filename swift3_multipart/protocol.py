"""Free late, by one rule: what every request does to an upload of our
layout, step by step, over one seam (:class:`Backend`).

The S3 controllers, the reaper and the audit tool run these functions with
their own backend (:mod:`swift3_multipart.controllers.s3backend`,
:mod:`swift3_multipart.client_backend`); the model test
(``test/unit/test_protocol_model.py``) runs the very same functions with a
backend that hands over to a scheduler at every step and explores every
interleaving of several Completes, an Abort, UploadParts, writes of the key
and a reaper pass.

The rules (issue 21; ``../shared/research/free-late-model.md`` has the
counterexamples that shaped them):

1. An upload ends when its record is deleted (Complete, Abort, a lifecycle
   rule, DeleteBucket). The record's absence is the only "ended" flag. The
   request that deleted it queues the upload's task.
2. Nothing frees a part attempt but :func:`free`, run by the reaper for a
   task at least ``gc_delay`` after it was queued: it deletes the objects of
   the upload that no manifest at the key names then (the current one, read
   with X-Newest, and every version). A task is queued only by a request
   that saw the record gone: the one that deleted it, a write that replaced
   (or deleted) a multipart object and read its upload's record absent
   *after* the write (:func:`replaced`), an UploadPart that found the upload
   ended (:func:`part_written`).
3. A Complete's manifest timestamp is the time it started, before it read
   the record, plus a salt from what the manifest names
   (:func:`manifest_timestamp`): a late instance cannot land above a write
   made after an instance answered, and two instances never write two
   different manifests at one timestamp (replicas would never agree).
4. A Complete answers 200 only if it ends within ``gc_delay / 2`` of its
   start, on its own monotonic clock; a later one answers 503 and leaves its
   manifest. Nothing takes a manifest down.
5. A Complete that finds the record gone answers 200 only if the key holds
   this upload's manifest of these parts, at most ``gc_delay / 2`` old;
   else NoSuchUpload.
6. An UploadPart reads the record after its attempt is written; gone: it
   queues and answers NoSuchUpload.
7. Abort deletes the record (NoSuchUpload if there was none) and queues.

Why a 200 Complete reads back: a task that frees an attempt runs at least
``gc_delay`` after a moment the record was already gone. A Complete that
read the record present started before that moment, and committed its
manifest within ``gc_delay / 2`` of its start (rule 4) or answered 503; one
that read it absent saw the manifest committed at most ``gc_delay / 2``
after its writer's start (rule 5). Either way the manifest is there before
the task reads the key, and only a later client write removes it.

What stays open: a manifest commit held by an object server for more than
``gc_delay`` (between its timestamp check and its commit) can land after
the task freed its parts. No Complete answers 200 for it (rule 4), and Swift
has no conditional PUT to refuse it. ``gc_delay`` is that bound, as
``reclaim_age`` is the bound of Swift's tombstones.

Nothing here talks to Swift.
"""

import hashlib

from swift.common.utils.timestamp import Timestamp

DEFAULT_GC_DELAY = 3600

# what complete() answers
DONE = 'done'              # 200
LATE = 'late'              # 503: the manifest stays, the answer came late
NO_SUCH_UPLOAD = 'no-such-upload'
CONFLICT = 'conflict'      # 409: a write of the key came past conditions
# where the manifest timestamp's salt lies (Swift's offset field): above
# the +1 at which object_versioning links the key to a version
SALT_BITS = 48


class Backend(object):
    """What the protocol needs of Swift, for one upload."""

    #: seconds between a task's queueing and its run (``gc_delay``)
    gc_delay = DEFAULT_GC_DELAY

    @property
    def grace(self):
        """How long a request may take and still claim success."""
        return self.gc_delay / 2.0

    def clock(self):
        """Seconds on this process's monotonic clock."""
        raise NotImplementedError

    def now(self):
        """The wall clock, as a Timestamp (what X-Timestamps are)."""
        raise NotImplementedError

    def begin(self):
        """
        A Complete starts: (monotonic seconds, wall Timestamp), taken once,
        before any read of the upload.
        """
        raise NotImplementedError

    def complete_reads(self):
        """
        The reads a Complete starts with, made at once: (the record or
        None, the key's :class:`KeyState` or None, the attempts listing).
        """
        raise NotImplementedError

    def read_record(self):
        """The upload's record (X-Newest), or None once it is gone."""
        raise NotImplementedError

    def delete_record(self):
        raise NotImplementedError

    def put_manifest(self, timestamp, parts):
        """
        :returns: True if stored, False if refused (an object server held
            a write at least as new: the proxy's 202, the body nowhere).
        """
        raise NotImplementedError

    def queue(self):
        """Queue the upload's task, due ``gc_delay`` from now."""
        raise NotImplementedError

    def replaced_upload(self, key):
        """
        The backend of the other upload whose manifest ``key`` (what the
        key held before a write) is, or None.
        """
        raise NotImplementedError

    def named(self):
        """
        The names of the upload's objects that a manifest at the key names
        now: the current one (X-Newest) and every version. None if that
        cannot be told (then nothing is freed).
        """
        raise NotImplementedError

    def stored(self):
        """Every object of the upload: its attempts, and what an earlier
        build left (an abort record)."""
        raise NotImplementedError

    def delete(self, names):
        """DELETE these objects; :returns: how many were there."""
        raise NotImplementedError


class KeyState(object):
    """What a read of the key (X-Newest) found."""

    def __init__(self, timestamp, upload_id=None, s3_etag=None):
        #: a Timestamp: of the object, or of its tombstone
        self.timestamp = timestamp
        #: the upload the object was completed from (either layout), if any
        self.upload_id = upload_id
        self.s3_etag = s3_etag


class CompleteRequest(object):
    """What one CompleteMultipartUpload asks, as the protocol needs it."""

    upload_id = None
    #: the S3 ETag of the object this Complete makes
    s3_etag = None
    #: True if If-Match / If-None-Match came with it
    conditional = False

    def check(self, record, key, listing):
        """
        Check the request against the record, the key and the listing
        (parts, sizes, checksums, conditions); raise the S3 error.

        :returns: (the parts the manifest names, a salt: bytes that tell
            this manifest from any other of the upload).
        """
        raise NotImplementedError


def manifest_timestamp(when, salt):
    """
    The X-Timestamp of a Complete's manifest (rule 3): the time the
    Complete started, and in the offset a number from ``salt`` (what the
    manifest names), so that two manifests of one upload at one timestamp
    are the same manifest.
    """
    digest = hashlib.md5(salt, usedforsecurity=False).hexdigest()
    offset = (int(digest, 16) >> (128 - SALT_BITS)) + 2
    return Timestamp(when.timestamp, offset=offset)


def complete(backend, request):
    """
    CompleteMultipartUpload, in five steps.

    :returns: (DONE, parts) or (DONE, key) for a retry, (LATE, parts),
        (NO_SUCH_UPLOAD, None) or (CONFLICT, None).
    """
    # 1. read: the time first (rule 3), then the record, the key and the
    # attempts, at once
    started, when = backend.begin()
    record, key, listing = backend.complete_reads()
    if record is None:
        # 5'. ended: answer as the instance that ended it did (rule 5)
        if completed_by(backend, request, key):
            return DONE, key
        return NO_SUCH_UPLOAD, None
    # 2. check
    parts, salt = request.check(record, key, listing)
    # 3. write
    stored = backend.put_manifest(manifest_timestamp(when, salt), parts)
    if not stored and request.conditional:
        # a write of the key newer than our start: it came after the
        # conditions held; the upload stays in progress
        return CONFLICT, None
    # (not stored: a later write replaced ours at once, as if completed,
    # then overwritten)
    # 4. end (rule 1): the record, then the task
    backend.delete_record()
    backend.queue()
    other = backend.replaced_upload(key)
    if other is not None:
        replaced(other)
    # 5. answer (rule 4)
    if too_late(backend, started):
        return LATE, parts
    return DONE, parts


def too_late(backend, started):
    """Rule 4: a Complete that ends over ``gc_delay / 2`` after its start
    (its own monotonic clock) may not claim success."""
    return backend.clock() - started > backend.grace


def completed_by(backend, request, key):
    """
    Rule 5: the key (X-Newest) holds this upload's manifest of these
    parts, at most ``gc_delay / 2`` old (its timestamp is its writer's
    start): written before any task of the upload could free its parts.
    """
    return key is not None and key.upload_id == request.upload_id and \
        key.s3_etag == request.s3_etag and \
        float(backend.now()) - float(key.timestamp) <= backend.grace


def abort(backend):
    """
    AbortMultipartUpload (rule 7), and the reaper's abort for a lifecycle
    rule.

    :returns: True if the upload was in progress (S3: 204), False if not
        (NoSuchUpload).
    """
    if backend.read_record() is None:
        return False
    backend.delete_record()
    backend.queue()
    return True


def part_written(backend):
    """
    UploadPart, once its attempt is written (rule 6).

    :returns: True if the upload is in progress, False if it ended (the
        attempt goes with the upload's task).
    """
    if backend.read_record() is not None:
        return True
    backend.queue()
    return False


def replaced(backend):
    """
    After a PutObject, CopyObject, DeleteObject or Complete replaced (or
    deleted) an object completed from ``backend``'s upload: queue the
    upload's task if it has ended. If it has not, a Complete of it is in
    flight, and whoever ends it queues.
    """
    if backend.read_record() is None:
        backend.queue()


def free(backend):
    """
    The one rule that frees (rule 2), for a task that is due: delete every
    object of an ended upload that no manifest at the key names.

    :returns: how many objects were deleted.
    """
    if backend.read_record() is not None:
        # in progress: no task is queued so (the task of an upload of
        # another build, say); its own end queues again
        return 0
    named = backend.named()
    if named is None:
        return 0
    return backend.delete([name for name in backend.stored()
                           if name not in named])
