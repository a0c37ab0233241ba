"""CompleteMultipartUpload's fence against UploadParts in flight.

An UploadPart of a part that a Complete lists must not replace that part
once the Complete has checked it: the object would then name a segment
whose bytes are no longer the part's (SLO refuses to serve it). Swift has
no compare-and-swap, so the two sides meet at a fence:

* Complete writes the fence (an empty "part 0", see
  :func:`swift3_multipart.mpu.fence_name`), waits ``complete_fence_settle``
  seconds, and only then lists the parts; it removes the fence with the
  parts it frees, or at once if it fails.
* UploadPart checks, once the whole body has arrived and before the object
  servers commit it (in the proxy's footer callback), that the marker is
  still there and that no fresh fence is up; otherwise its PUT is dropped
  (the object servers never commit it) and it answers NoSuchUpload, as
  UploadPart after Complete does.

An UploadPart that passed its check just before the fence went up commits
within milliseconds; the settle time lets that write (and its container
listing row) land before Complete reads the listing. The guarantee is
therefore as good as that bound: an object server that takes longer than
the settle time between receiving the last byte and updating the container
listing can still let such a part in, and then the object fails to read
instead of returning other bytes.

A fence older than :data:`FENCE_TTL` (a Complete that died) is ignored, and
a repeated Complete or an Abort removes it.
"""

import time

from swift.common.middleware.s3api.s3response import NoSuchKey, \
    NoSuchUpload, ErrorResponse
from swift.common.swob import str_to_wsgi, HTTPPreconditionFailed
from swift.common.utils.timestamp import Timestamp

from swift3_multipart import mpu
from swift3_multipart.controllers.common import segments_container, \
    key_of, without_copy_source

# seconds after which a fence left by a Complete that died is ignored
FENCE_TTL = 300
FOOTERS_CALLBACK = 'swift.callback.update_footers'


def _fence(req, upload_id):
    return str_to_wsgi(mpu.fence_name(key_of(req), upload_id))


def put_fence(req, app, upload_id):
    """Raise the fence of an upload (an empty object)."""
    req.get_response(app, 'PUT', segments_container(req),
                     _fence(req, upload_id), body=b'',
                     headers={'Content-Type': 'application/octet-stream'})


def remove_fence(req, app, upload_id, logger):
    """Take the fence down after a failed Complete (best effort)."""
    try:
        req.get_response(app, 'DELETE', segments_container(req),
                         _fence(req, upload_id))
    except NoSuchKey:
        pass
    except ErrorResponse as err:
        logger.warning('upload %s: could not remove the Complete fence '
                       '(UploadPart refused for %ds): %s', upload_id,
                       FENCE_TTL, err.summary)


def _head(req, app, container, obj):
    """:returns: the HEAD response of ``obj``, or None if there is none."""
    try:
        with without_copy_source(req):
            return req.get_response(app, 'HEAD', container, obj)
    except NoSuchKey:
        return None


def is_fresh(fence_resp, now=None):
    """:returns: True if the fence is younger than FENCE_TTL."""
    written = float(Timestamp(fence_resp.sw_headers.get('X-Timestamp') or 0))
    return (now or time.time()) - written < FENCE_TTL


def fence_is_up(req, app, upload_id):
    """:returns: True if a Complete younger than FENCE_TTL fenced the
    upload."""
    resp = _head(req, app, segments_container(req), _fence(req, upload_id))
    return resp is not None and is_fresh(resp)


class CommitCheck(object):
    """
    The footer callback of an UploadPart's PUT: the proxy calls it after the
    last byte of the body and before it lets the object servers commit.
    Raising there drops the PUT.

    Made before the request's names change (UploadPartCopy points them at
    the part for s3api's copy-source check).
    """

    def __init__(self, req, app, upload_id):
        self.req = req
        self.app = app
        self.upload_id = upload_id
        self.container = segments_container(req)
        self.marker = str_to_wsgi(mpu.marker_name(key_of(req), upload_id))
        self.fence = _fence(req, upload_id)
        # the S3 error to answer if the PUT was dropped
        self.refusal = None
        self._inner = None

    def install(self):
        """Become the footer callback, calling the one there was after."""
        self._inner = self.req.environ.get(FOOTERS_CALLBACK)
        self.req.environ[FOOTERS_CALLBACK] = self

    def __call__(self, footers):
        try:
            if _head(self.req, self.app, self.container, self.marker) is None:
                raise NoSuchUpload(upload_id=self.upload_id)
            fence = _head(self.req, self.app, self.container, self.fence)
            if fence is not None and is_fresh(fence):
                raise NoSuchUpload(upload_id=self.upload_id)
        except ErrorResponse as err:
            # the proxy answers this for the PUT, without committing it
            self.refusal = err
            raise HTTPPreconditionFailed()
        if self._inner is not None:
            self._inner(footers)
