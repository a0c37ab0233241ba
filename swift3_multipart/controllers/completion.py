"""CompleteMultipartUpload of an upload of our layout.

No fence and no settle time: the parts are immutable attempts, so what
Complete reads is what the manifest names, and the race with Abort is
settled by :func:`swift3_multipart.abort.may_complete`.

1. HEAD the key (X-Newest): the manifest is written just above what it
   holds (:func:`swift3_multipart.layout.manifest_timestamp`), so that two
   Completes of one upload write at one timestamp (the first to reach an
   object server stays) and none replaces a later write of the key. If the
   key already holds this upload's manifest, that is the answer, once
   steps 4 and 5 are taken if the record is still there (the Complete
   that wrote the manifest stopped before them: its proxy died).
2. The newest attempt of each listed part must have the listed ETag.
3. PUT the manifest. An object server that holds its timestamp already
   refuses it (202 from all of them): only then HEAD the key again, to
   tell another Complete of these parts (the same object: 200), of other
   parts (NoSuchUpload) and a later write (as if completed, then
   overwritten: 200; but 409 ConditionalRequestConflict to a conditional
   Complete, whose conditions that write may have broken).
4. Read the abort record, and DELETE the record at the same time: if an
   Abort has begun, the Complete takes its own manifest down again, frees
   what no manifest names and answers NoSuchUpload.
5. DELETE the segments of the object this one replaced.
   The attempts that the listing showed and the manifest does not name
   (left out, or older attempts of a part) are queued for the reaper,
   ``sweep_delay`` seconds later (:func:`expiring.sweep_later`): another
   Complete of the upload, with other parts, may be writing a manifest
   that names them, at our very timestamp, and the object servers keep
   whichever commits last. Its frees would break ours. (In a bucket that
   has had versioning the Complete frees them itself: the reaper cannot
   read old versions.)

https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
"""

from swift.common.concurrency import GreenPool
from swift.common.middleware.s3api.s3response import ErrorResponse, \
    NoSuchUpload, NoSuchKey, S3Response
from swift.common.middleware.s3api.utils import sysmeta_header
from swift.common.swob import normalize_etag

from swift3_multipart import abort, layout
from swift3_multipart.greenthreads import Quiet
from swift3_multipart.controllers import attempts, expiring
from swift3_multipart.controllers.cleanup import ever_versioned
from swift3_multipart.controllers.common import S3_ETAG_SYSMETA
from swift3_multipart.controllers.conditions import \
    ConditionalRequestConflict
from swift3_multipart.controllers.complete import Completion
from swift3_multipart.controllers.s3backend import S3Backend
from swift3_multipart.controllers.own import own_response

ACL_SYSMETA = sysmeta_header('object', 'acl')
TMPACL_SYSMETA = sysmeta_header('object', 'tmpacl')


def holds_upload(resp, upload_id):
    """True if ``resp`` (a HEAD of the key) is this upload's manifest."""
    return resp.status_int // 100 == 2 and resp.headers.get(
        layout.OUR_UPLOAD_ID_SYSMETA) == upload_id


class OurCompletion(Completion):
    upload_id_sysmeta = layout.OUR_UPLOAD_ID_SYSMETA

    def __init__(self, controller, req, upload_id, record, s3_etag, key,
                 reads=None):
        super().__init__(controller, req, upload_id, record, s3_etag)
        # the listing begun with the request, read by the first check
        self.reads = reads
        initiated = layout.initiated_of(upload_id)
        found = attempts.key_timestamp(key)
        self.base = max(initiated, found) if found else initiated
        self.key_resp = key
        self.backend = S3Backend(req, self.app, self.conf, upload_id,
                                 self.logger)
        self.landed = False
        # every attempt the listing showed
        self.seen = []

    def _stored_parts(self):
        del self.seen[:]
        if self.reads is not None:
            parts, _ = self.reads.listing()
            self.seen.extend(self.reads.seen)
            self.reads = None
        else:
            parts, _ = attempts.list_parts(self.req, self.app,
                                           self.upload_id, seen=self.seen)
        return {part['part_number']: part for part in parts}

    def find_superseded(self):
        key = self.key_resp
        if not ever_versioned(self.req, self.app) and not (
                key.status_int // 100 == 2 and
                key.headers.get('X-Static-Large-Object')):
            # what start() read: no multipart object to replace
            self.superseded = []
            return
        super().find_superseded()

    def _current_etag(self):
        # what start() read, with X-Newest
        key = self.key_resp
        if key.status_int // 100 != 2:
            return None
        return normalize_etag(S3Response.from_swift_resp(key).etag)

    def _unlisted(self, stored, requested):
        return []   # the sweep after the manifest finds them

    def _part_name(self, number, part):
        return part['name'] if part else None

    def _head_part(self, name):
        # an attempt the listing lacks has a name nobody knows
        return None

    def headers(self):
        headers = super().headers()
        headers['X-Timestamp'] = layout.manifest_timestamp(
            self.base).internal
        acl = self.marker_resp.sysmeta_headers.get(TMPACL_SYSMETA)
        if acl:
            # s3_acl: the ACL Create was given (stock's handler copies it
            # from its marker)
            headers[ACL_SYSMETA] = acl
        return headers

    def _finish(self):
        # an object server refuses a PUT at the timestamp of what it holds
        # (202 from all of them): someone else's write is there
        self.landed = self.manifest_taken
        if self.landed:
            stands = self._stands_unrecorded()
        else:
            key = attempts.head_key(self.req, self.app)
            if self.conditions and not holds_upload(key, self.upload_id):
                # A write of the key is newer than our manifest: it came
                # after the conditions were checked. The upload stays in
                # progress.
                raise ConditionalRequestConflict()
            stands = abort.may_complete(self.backend)
            if stands:
                self.backend.delete_record()
        if not stands:
            self._back_off()
            raise NoSuchUpload(upload_id=self.upload_id)
        if self.landed:
            return
        # the object there is not ours to free; no manifest of ours names
        # our attempts (the sweep keeps those an identical one names)
        self.superseded = []
        self.parts = []
        if holds_upload(key, self.upload_id) and \
                key.headers.get(S3_ETAG_SYSMETA) != self.s3_etag:
            # another Complete of the upload, with other parts, got there
            # first
            raise NoSuchUpload(upload_id=self.upload_id)
        # else another Complete of these very parts wrote it (the same
        # object), or a later write of the key replaced ours at once (as
        # if completed, then overwritten)

    def resume(self):
        """
        The key holds this upload's manifest of these parts and the record
        is still there: the Complete that wrote it stopped before its last
        steps (its proxy died, or it is still running). Take them now, as
        :meth:`_finish` does: read the abort record and DELETE the record;
        if an Abort has begun, back off. The attempts the manifest does
        not name go to the reaper's sweep (which of them the stopped
        Complete meant to free is not known here).

        :raises NoSuchUpload: an Abort has begun.
        """
        self.landed = True
        # (an older version of the key is ours to take down, not the key)
        self.version_id = self.key_resp.headers.get('X-Object-Version-Id')
        if not self._stands_unrecorded():
            self._back_off()
            raise NoSuchUpload(upload_id=self.upload_id)
        self._free([], True)

    def _stands_unrecorded(self):
        """
        Once our manifest is there: read the abort record
        (:func:`abort.may_complete`) and DELETE the record at once. The
        race with Abort is settled by the manifest and the abort record
        alone; the record only says the upload is in progress, and it goes
        either way (an Abort that begins takes it down too). An Abort that
        finds it gone first has written no abort record and answers as
        after any Complete (NoSuchUpload).

        :returns: True if the Complete stands.
        """
        pool = GreenPool(2)
        stands = Quiet(pool, abort.may_complete, self.backend)
        unrecorded = Quiet(pool, self.backend.delete_record)
        pool.waitall()
        if not stands.wait():
            # back off even if the DELETE failed (the Abort takes the
            # record down): our manifest may name parts the Abort freed
            return False
        unrecorded.wait()
        return True

    def _back_off(self):
        """
        An Abort has begun: take our manifest down again (at a timestamp
        that cannot remove a newer write), if our PUT was taken and the
        key shows it, then free the parts no manifest of the upload names
        (a Complete whose identical manifest was there first keeps its
        parts).
        """
        key = attempts.head_key(self.req, self.app) if self.landed else None
        if key is not None and holds_upload(key, self.upload_id) and \
                key.headers.get(S3_ETAG_SYSMETA) == self.s3_etag:
            query = {'version-id': self.version_id} if self.version_id \
                else None
            try:
                own_response(
                    self.req, self.app, 'DELETE', self.req.container_name,
                    self.req.object_name, query=query, headers={
                        'X-Timestamp': layout.manifest_timestamp(
                            self.base, 2).internal})
            except NoSuchKey:
                pass
        abort.free_unnamed(self.backend)
        self.logger.increment('mpu.complete.aborted')

    def _free_parts(self):
        named = {part['name'] for part in self.parts}
        self._free(self.superseded,
                   any(name not in named for name in self.seen))

    def _free(self, superseded, unnamed):
        """
        DELETE ``superseded`` (names), and if ``unnamed`` (attempts the
        manifest does not name were listed), free those: the reaper's
        sweep, ``sweep_delay`` later.
        """
        try:
            if superseded:
                self.backend.delete(superseded)
            if unnamed and (not self.conf.sweep_delay or
                            ever_versioned(self.req, self.app)):
                # (the reaper's sweep cannot see old versions: this
                # Complete reads them itself)
                abort.free_unnamed(self.backend)
            elif unnamed:
                expiring.sweep_later(self.req, self.app, self.conf,
                                     self.logger, self.upload_id)
        except ErrorResponse as err:
            self.logger.warning('upload %s: could not free parts: %s',
                                self.upload_id, err.summary)


def start(controller, req, upload_id, record, s3_etag, reads):
    """
    The Completion of an upload of ours whose record the caller read.

    :param reads: the :class:`CompleteReads` begun with the request (the
        key, and the listing the Completion checks the parts against).

    :returns: (completion, None), or (None, True) if the key already holds
        this upload's manifest with this ETag (a retry: answer as the
        first Complete did; if the record is still there, once the steps
        after the manifest are taken, see :meth:`OurCompletion.resume`).
    :raises NoSuchUpload: the record is gone and the key holds no such
        manifest, or holds one of other parts; or an Abort began before
        the manifest's Complete could read the abort record.
    """
    key = reads.key()
    if holds_upload(key, upload_id):
        if key.headers.get(S3_ETAG_SYSMETA) != s3_etag:
            raise NoSuchUpload(upload_id=upload_id)
        if record is not None:
            OurCompletion(controller, req, upload_id, record, s3_etag, key,
                          reads).resume()
        return None, True
    if record is None:
        raise NoSuchUpload(upload_id=upload_id)
    return OurCompletion(controller, req, upload_id, record, s3_etag,
                         key, reads), None
