"""The :class:`swift3_multipart.protocol.Backend` of an S3 request: how
Complete, Abort, UploadPart and the writes of a key reach an upload.

The caller's permission is checked first (:func:`records.check`); then our
own look-ups and writes go without s3api's ACL handler (pre-authorized
under s3_acl, through auth without it), the index by pre-authorized
requests, the queue by pre-authorized requests to the task account.
"""

import time

from swift.common.middleware.s3api.s3response import ErrorResponse, \
    NoSuchKey
from swift.common.swob import str_to_wsgi
from swift.common.utils.timestamp import Timestamp

from swift3_multipart import layout, mpu, protocol
from swift3_multipart.controllers import attempts, expiring, records
from swift3_multipart.controllers.common import segments_container, key_of, \
    without_copy_source, S3_ETAG_SYSMETA, UPLOAD_ID_SYSMETA
from swift3_multipart.controllers.own import own_response


def key_state(resp):
    """The :class:`protocol.KeyState` of a HEAD of the key (X-Newest), or
    None if it never held anything."""
    when = attempts.key_timestamp(resp)
    if when is None:
        return None
    if resp.status_int // 100 != 2:
        return protocol.KeyState(when)
    headers = resp.headers
    return protocol.KeyState(
        when, headers.get(layout.OUR_UPLOAD_ID_SYSMETA) or
        headers.get(UPLOAD_ID_SYSMETA), headers.get(S3_ETAG_SYSMETA))


class S3Backend(protocol.Backend):
    """An upload of our layout, for one S3 request about its key."""

    def __init__(self, req, app, conf, upload_id, logger=None, key=None):
        self.req = req
        self.app = app
        self.conf = conf
        self.logger = logger
        self.upload_id = upload_id
        self.key = key_of(req) if key is None else key
        self.gc_delay = conf.gc_delay
        self._begun = None
        self.record = None

    def clock(self):
        return time.monotonic()

    def now(self):
        return Timestamp.now()

    def begin(self):
        if self._begun is None:
            self._begun = (self.clock(), self.now())
        return self._begun

    def read_record(self):
        #: what the last read found
        self.record = records.head_record(self.req, self.app, self.key,
                                          self.upload_id)
        return self.record

    def delete_record(self):
        records.delete_record(self.req, self.app, self.key, self.upload_id)

    def queue(self):
        expiring.free_later(self.req, self.app, self.conf, self.logger,
                            self.upload_id, self.key)

    def replaced_upload(self, key):
        if key is None or not key.upload_id or \
                key.upload_id == self.upload_id:
            return None
        return upload_backend(self.req, self.app, self.conf, self.logger,
                              self.key, key.upload_id)


class StockUpload(S3Backend):
    """An upload of the stock layout, as far as :func:`protocol.replaced`
    needs it: its marker is its record."""

    def read_record(self):
        name = str_to_wsgi(mpu.marker_name(self.key, self.upload_id))
        try:
            with without_copy_source(self.req):
                return own_response(self.req, self.app, 'HEAD',
                                    segments_container(self.req), name,
                                    headers={'X-Newest': 'true'})
        except NoSuchKey:
            return None


def upload_backend(req, app, conf, logger, key, upload_id):
    """The backend of an upload of ``key`` of either layout (None for an
    id neither makes)."""
    if layout.is_ours(upload_id):
        return S3Backend(req, app, conf, upload_id, logger, key)
    if mpu.valid_upload_id(upload_id):
        return StockUpload(req, app, conf, upload_id, logger, key)
    return None


def replaced(req, app, conf, logger, old_upload_id, key=None):
    """
    After a write of the key (or of ``key``) that replaced or deleted the
    object completed from ``old_upload_id``: queue that upload's free task
    if it has ended (:func:`protocol.replaced`). A failure is logged: the
    write is done; the audit tool finds the parts.
    """
    backend = upload_backend(req, app, conf, logger,
                             key_of(req) if key is None else key,
                             old_upload_id)
    if backend is None:
        return
    try:
        protocol.replaced(backend)
    except ErrorResponse as err:
        logger.warning('upload %s: could not queue its parts: %s',
                       old_upload_id, err.summary)
