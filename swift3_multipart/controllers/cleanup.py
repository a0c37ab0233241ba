"""Deleting in ``+segments``, and what a write of a key replaces.

The parts of uploads of our layout, and of any multipart object a write
replaces or deletes, are freed late, by the reaper (see
:mod:`swift3_multipart.protocol`): a write only tells which upload it
replaced (:func:`replaced_upload`). What is deleted at once is the stock
layout's own: a stock-layout Abort's parts, the parts a stock-layout
Complete left out (both behind its fence), DeleteBucket's stock markers.

A Swift-native SLO that some user built out of another upload's parts is
not looked for (``+segments`` is s3api's, not the user's).
"""

import copy

from swift.common.middleware.s3api.s3response import NoSuchKey, \
    NoSuchBucket, AccessDenied
from swift.common.swob import str_to_wsgi
from swift.common.utils import StreamingPile

from swift3_multipart import layout, metrics
from swift3_multipart.controllers.common import segments_container, \
    without_copy_source, UPLOAD_ID_SYSMETA
from swift3_multipart.controllers.own import own_response


def delete_objects(req, app, container, names, concurrency, logger=None,
                   sizes=None):
    """
    DELETE ``names`` of ``container`` in parallel; a 404 is what we wanted.

    These are our own clean-ups, not the client's request: they go past
    s3api's ACL handler (:func:`.own.own_response`, the path s3api's
    handlers take for their own look-ups; no public one exists). Under
    s3_acl the handler of a PutObject, CopyObject or UploadPart has no rule
    for a DELETE in ``+segments`` and raised, so the parts stayed (issue 12
    item 2); without s3_acl ``get_response`` makes the same request, and
    Swift's auth still checks the caller may delete there.

    :param logger: counts what was deleted (:func:`metrics.freed`)
    :param sizes: {name: bytes} of the names, where the caller read them
    :returns: how many were deleted.
    """
    def delete_one(name):
        sub = copy.copy(req)
        sub.environ = copy.copy(req.environ)
        try:
            own_response(sub, app, 'DELETE', container, str_to_wsgi(name))
            return name
        except NoSuchKey:
            return None

    with StreamingPile(max(1, concurrency)) as pile:
        deleted = [name for name in pile.asyncstarmap(
            delete_one, ((name,) for name in names)) if name is not None]
    if logger is not None:
        metrics.freed(logger, len(deleted), sum(
            (sizes or {}).get(name, 0) for name in deleted))
    return len(deleted)


def ever_versioned(req, app):
    """True if the bucket has (or had) versioning: old versions exist."""
    info = req.get_container_info(app)
    return bool(info.get('sysmeta', {}).get('versions-container'))


def has_segments_container(req, app):
    seg_req = copy.copy(req)
    seg_req.environ = copy.copy(req.environ)
    seg_req.container_name = segments_container(req)
    try:
        seg_req.get_container_info(app)
        return True
    except NoSuchBucket:
        return False


def replaced_upload(req, app, upload_id=None):
    """
    The upload (either layout) whose completed manifest a write of the key
    replaces, read before the write: its free task is queued after it
    (:func:`.s3backend.replaced`).

    :param upload_id: the upload being completed, if any (its own manifest
        is not replaced by a retry).
    :returns: the upload id, or None.
    """
    if not has_segments_container(req, app):
        return None
    # our own look-up, not the client's request: no ACL handler
    try:
        with without_copy_source(req):
            head = own_response(req, app, 'HEAD', req.container_name,
                                req.object_name)
    except (NoSuchKey, AccessDenied):
        return None
    old_upload = head.sysmeta_headers.get(UPLOAD_ID_SYSMETA) or \
        head.sysmeta_headers.get(layout.OUR_UPLOAD_ID_SYSMETA)
    if not head.is_slo or not old_upload or old_upload == upload_id:
        return None
    return old_upload
