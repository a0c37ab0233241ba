"""CompleteMultipartUpload of an upload of our layout.

The protocol is :func:`swift3_multipart.protocol.complete` (read, check,
write, end, answer); this module is its S3 side:

1. **read** (:class:`OurBackend`): the time, then the record, the key
   (X-Newest) and the attempts listing at once, with the caller's
   permission check (:class:`~.complete_reads.CompleteReads`).
2. **check** (:meth:`OurComplete.check`): the newest attempt of each listed
   part must have the listed ETag (a part the listing lacks is listed once
   more: listings lag writes), sizes, checksums, ``x-amz-mp-object-size``,
   If-Match / If-None-Match against the key.
3. **write** (:meth:`OurBackend.put_manifest`): the SLO manifest at the
   Complete's start time plus a salt of the attempts it names; below SLO
   where possible, else through SLO.
4. **end**: DELETE the record, queue the upload's free task (and the free
   task of the multipart object the manifest replaced).
5. **answer**: 200 only within ``gc_delay / 2`` of the start, else 503
   (the manifest stays); a Complete that finds the upload ended answers as
   the one that ended it did, if the key holds that manifest and it is
   fresh (see the protocol's rules 4 and 5).

The protocol runs in a green thread; the answer waits for it
``heartbeat_grace`` seconds, then commits to 200 and sends whitespace every
few seconds, as s3api's SLO heartbeat does, until the result (or the error
document) is ready.

https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
"""

import time

from swift.common.concurrency import GreenPool
from swift.common.middleware.s3api.s3response import ErrorResponse, \
    HTTPOk, InvalidRequest, NoSuchUpload, S3Response, ServiceUnavailable
from swift.common.middleware.s3api.utils import sysmeta_header
from swift.common.swob import normalize_etag

from swift3_multipart import layout, metrics, protocol
from swift3_multipart.greenthreads import Quiet
from swift3_multipart.controllers import attempts, sse
from swift3_multipart.controllers.complete import Completion, \
    complete_result, XML_DECLARATION
from swift3_multipart.controllers.conditions import \
    ConditionalRequestConflict
from swift3_multipart.controllers.obj import stored_checksum
from swift3_multipart.controllers.s3backend import S3Backend, key_state

ACL_SYSMETA = sysmeta_header('object', 'acl')
TMPACL_SYSMETA = sysmeta_header('object', 'tmpacl')
# seconds between heartbeats, once committed to 200
HEARTBEAT_INTERVAL = 5


class OurBackend(S3Backend):
    """The protocol's backend of one Complete: its reads were begun with
    the request (:class:`~.complete_reads.CompleteReads`)."""

    def __init__(self, completion, reads, begun):
        """:param begun: what :meth:`begin` answers: the time the request
        took before its reads began."""
        super().__init__(completion.req, completion.app, completion.conf,
                         completion.upload_id, completion.logger)
        self.completion = completion
        self.reads = reads
        self._begun = begun

    def complete_reads(self):
        key = self.reads.key()
        self.completion.key_resp = key
        return self.reads.record(), key_state(key), self.reads.listing()

    def put_manifest(self, timestamp, parts):
        return self.completion.put(timestamp, parts)


class OurComplete(Completion, protocol.CompleteRequest):
    """The S3 side of one Complete of our layout."""
    upload_id_sysmeta = layout.OUR_UPLOAD_ID_SYSMETA

    def __init__(self, controller, req, upload_id, s3_etag, requested,
                 conditions, object_size, reads, begun):
        super().__init__(controller, req, upload_id, None, s3_etag)
        self.requested = requested
        self.conditional = bool(conditions)
        self.condition_headers = conditions
        self.object_size = object_size
        self.key_resp = None
        self.timestamp = None
        self.backend = OurBackend(self, reads, begun)

    # --- 2. check ----------------------------------------------------------

    def check(self, record, key, listing):
        self.marker_resp = record
        self._listing = listing
        self.check_parts(self.requested)
        total = sum(part['size'] for part in self.parts)
        if self.object_size is not None and self.object_size != total:
            raise InvalidRequest(
                'The provided x-amz-mp-object-size (%d) does not match the '
                'size of the listed parts (%d)' % (self.object_size, total))
        self.check_conditions(self.condition_headers)
        salt = '\n'.join(part['name'] for part in self.parts)
        return self.parts, salt.encode('utf-8')

    def _stored_parts(self):
        parts, _ = self._listing
        return {part['part_number']: part for part in parts}

    def _unlisted(self, stored, requested):
        return []   # the upload's free task frees them

    def _read_again(self, number):
        """A part the listing lacks or shows with another ETag: list its
        attempts once more (a listing lags the writes it shows)."""
        parts, _ = attempts.list_parts(self.req, self.app, self.upload_id,
                                       after_part=number - 1, count=1)
        if parts and parts[0]['part_number'] == number:
            return parts[0]
        return None

    def _current_etag(self):
        # what the first read found, with X-Newest
        key = self.key_resp
        if key is None or key.status_int // 100 != 2:
            return None
        return normalize_etag(S3Response.from_swift_resp(key).etag)

    # --- 3. write ----------------------------------------------------------

    def put(self, timestamp, parts):
        """Write the manifest at ``timestamp``; :returns: False if the
        object servers held a newer write (202)."""
        self.parts = parts
        self.timestamp = timestamp
        if not self._put_below_slo():
            for _ in self._put_via_slo():
                pass   # (our own heartbeat runs in the answer)
        return self.manifest_taken

    def headers(self):
        headers = super().headers()
        headers['X-Timestamp'] = self.timestamp.internal
        acl = self.marker_resp.sysmeta_headers.get(TMPACL_SYSMETA)
        if acl:
            # s3_acl: the ACL Create was given (stock's handler copies it
            # from its marker)
            headers[ACL_SYSMETA] = acl
        return headers

    # --- 5. answer ---------------------------------------------------------

    def respond(self, grace):
        """
        Run the protocol and answer it.

        :param grace: seconds to wait for the result before committing to
            200 and heartbeats.
        """
        pool = GreenPool(1)
        run = Quiet(pool, protocol.complete, self.backend, self)
        resp = sse.add_header(HTTPOk(content_type='application/xml'))
        body = self._body(resp, run, grace)
        first = next(body)
        resp.app_iter = _prepend(first, body)
        return resp

    def _body(self, resp, run, grace):
        sent = False
        deadline = time.time() + grace
        while not run.wait_for(max(0.0, deadline - time.time())):
            if not sent:
                sent = True
                yield XML_DECLARATION
            yield b' '
            deadline = time.time() + HEARTBEAT_INTERVAL
        try:
            outcome, found = run.wait()
            if outcome == protocol.NO_SUCH_UPLOAD:
                raise NoSuchUpload(upload_id=self.upload_id)
            if outcome == protocol.CONFLICT:
                raise ConditionalRequestConflict()
            if outcome == protocol.LATE:
                self.logger.warning(
                    'upload %s: Complete took over gc_delay/2; answered '
                    '503, its manifest stays', self.upload_id)
                self.logger.increment('mpu.complete.late')
                raise ServiceUnavailable()
        except ErrorResponse as err:
            self.logger.increment('mpu.complete.error')
            err.xml_declaration = not sent
            if sent:
                yield b'\n'
            else:
                resp.status = err.status
                resp.headers.pop(sse.HEADER, None)
            env = {k: self.req.environ[k] for k in ('swift.trans_id',)
                   if k in self.req.environ}
            yield b''.join(err(env, lambda *a: None))
            return
        checksum = self.checksum
        if isinstance(found, protocol.KeyState):
            # a retry: answer as the Complete that ended the upload did
            checksum = stored_checksum(
                S3Response.from_swift_resp(self.key_resp))
            version = self.key_resp.headers.get('X-Object-Version-Id')
        else:
            self.logger.increment('mpu.complete.success')
            metrics.parts_completed(self.logger, len(found))
            version = self.version_id
        if version and not sent:
            resp.headers['x-amz-version-id'] = version
        yield (b'\n' if sent else b'') + complete_result(
            self.req, self.s3_etag, not sent, checksum)


def _prepend(first, rest):
    yield first
    yield from rest
