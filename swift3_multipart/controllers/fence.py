"""CompleteMultipartUpload's fence against UploadParts, Aborts and other
Completes of the same upload in flight.

An UploadPart of a part that a Complete lists must not replace that part
once the Complete has checked it, and an Abort must not delete parts a
Complete is writing into a manifest: the object would then name segments
whose bytes are not the parts' (SLO refuses to serve it). Two Completes with
different part lists would free each other's parts. Swift has no
compare-and-swap, so they meet at a fence, an empty "part 0" (see
:func:`swift3_multipart.mpu.fence_name`) that carries a token:

* Complete waits while another Complete's fresh fence is up, then writes its
  own, waits ``complete_fence_settle`` seconds and reads the fence back: if
  the token is still its own, it goes on (another Complete that wrote after
  it holds the fence instead, and this one waits for it). It checks the
  marker again before it writes the manifest, and removes the fence with
  the parts it frees, or at once if it fails.
* UploadPart checks, once the whole body has arrived and before the object
  servers commit it (in the proxy's footer callback), that the marker is
  still there and that no fresh fence is up; otherwise its PUT is dropped
  and it answers NoSuchUpload, as UploadPart after Complete does.
* Abort waits while a fresh fence is up, removes the marker first, waits
  the settle time, then deletes the parts.

Whoever checked just before another wrote acts within milliseconds; the
settle time lets that act (and its container listing row) land before the
other reads. The guarantee is as good as that bound: a step that takes
longer than the settle time between its check and its write can still
interleave, and then the object fails to read rather than returning other
bytes.

A fence older than :data:`FENCE_TTL` (a Complete that died) is ignored; a
later Complete or an Abort removes it.
"""

import time
import uuid

import eventlet
from swift.common.middleware.s3api.s3response import NoSuchKey, \
    NoSuchUpload, ErrorResponse, OperationAborted
from swift.common.swob import str_to_wsgi, HTTPPreconditionFailed
from swift.common.utils.timestamp import Timestamp

from swift3_multipart import mpu
from swift3_multipart.controllers.common import segments_container, \
    key_of, without_copy_source, head_marker

# seconds after which a fence left by a Complete that died is ignored (a
# retry of that Complete, with the same parts, need not wait for it)
FENCE_TTL = 60
# how long, and how often, one waits for a Complete in progress
WAIT_FOR_COMPLETE = 10
POLL = 0.1
FENCE_TOKEN = 'X-Object-Transient-Sysmeta-S3mp-Fence-Token'
# the S3 ETag of the object the fencing Complete writes
FENCE_ETAG = 'X-Object-Transient-Sysmeta-S3mp-Fence-Etag'
FOOTERS_CALLBACK = 'swift.callback.update_footers'


def _fence(req, upload_id):
    return str_to_wsgi(mpu.fence_name(key_of(req), upload_id))


def _head(req, app, container, obj, newest=False):
    """:returns: the HEAD response of ``obj``, or None if there is none."""
    try:
        with without_copy_source(req):
            return req.get_response(app, 'HEAD', container, obj, headers={
                'X-Newest': 'true'} if newest else None)
    except NoSuchKey:
        return None


def is_fresh(fence_resp, now=None):
    """:returns: True if the fence is younger than FENCE_TTL."""
    written = float(Timestamp(fence_resp.sw_headers.get('X-Timestamp') or 0))
    return (now or time.time()) - written < FENCE_TTL


def fence_holder(req, app, upload_id):
    """:returns: (token, S3 ETag) of the upload's fresh fence ('' for what
    it lacks), or None if no fresh fence is up."""
    resp = _head(req, app, segments_container(req), _fence(req, upload_id),
                 newest=True)
    if resp is None or not is_fresh(resp):
        return None
    return (resp.sw_headers.get(FENCE_TOKEN, ''),
            resp.sw_headers.get(FENCE_ETAG, ''))


def settle(conf):
    """Wait the settle time (``complete_fence_settle``): for whoever got
    past a check just before our write to land theirs."""
    if conf.complete_fence_settle > 0:
        eventlet.sleep(conf.complete_fence_settle)


def wait_for_complete(req, app, upload_id, wait=None, s3_etag=None):
    """
    Let a Complete in progress (its fence is up) finish, or fail; not if it
    writes the object ``s3_etag`` (the same parts): a retry after a proxy
    died during that Complete goes on at once.

    :returns: True if the upload is (still) in progress, False if its
        marker is gone.
    :raises OperationAborted: the Complete still runs after ``wait``
        seconds.
    """
    deadline = time.time() + (WAIT_FOR_COMPLETE if wait is None else wait)
    while True:
        holder = fence_holder(req, app, upload_id)
        if holder is None or (s3_etag and holder[1] == s3_etag):
            return True
        if time.time() >= deadline:
            raise OperationAborted()
        eventlet.sleep(POLL)
        try:
            head_marker(req, app, upload_id)
        except NoSuchUpload:
            return False


def put_fence(req, app, upload_id, s3_etag):
    """
    Raise the fence of an upload, for a Complete of the object ``s3_etag``.

    :returns: its token.
    """
    token = uuid.uuid4().hex
    req.get_response(app, 'PUT', segments_container(req),
                     _fence(req, upload_id), body=b'',
                     headers={'Content-Type': 'application/octet-stream',
                              FENCE_TOKEN: token, FENCE_ETAG: s3_etag})
    return token


def remove_fence(req, app, upload_id, token, logger):
    """Take our fence down after a failed Complete (best effort): not one
    another Complete raised since."""
    try:
        holder = fence_holder(req, app, upload_id)
        if holder is None or holder[0] != token:
            return
        req.get_response(app, 'DELETE', segments_container(req),
                         _fence(req, upload_id))
    except NoSuchKey:
        pass
    except ErrorResponse as err:
        logger.warning('upload %s: could not remove the Complete fence '
                       '(UploadPart refused for %ds): %s', upload_id,
                       FENCE_TTL, err.summary)


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
            # the newest copy: a node that was down during the Complete
            # may still have the marker
            if _head(self.req, self.app, self.container, self.marker,
                     newest=True) is None:
                raise NoSuchUpload(upload_id=self.upload_id)
            fence = _head(self.req, self.app, self.container, self.fence,
                          newest=True)
            if fence is not None and is_fresh(fence):
                raise NoSuchUpload(upload_id=self.upload_id)
        except ErrorResponse as err:
            # the proxy answers this for the PUT, without committing it
            self.refusal = err
            raise HTTPPreconditionFailed()
        if self._inner is not None:
            self._inner(footers)
