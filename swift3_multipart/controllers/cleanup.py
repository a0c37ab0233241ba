"""Freeing parts that nothing needs any more.

What we delete, and the rule that keeps it safe:

* Complete: the parts of the upload that the part list left out (no
  manifest names them: they were never part of any object).
* Abort: every part of the upload, in parallel; a repeated Abort also frees
  parts that a racing UploadPart wrote after the first one, unless the
  key's object is this upload's completed manifest.
* Overwrite (Complete, PutObject, CopyObject) of an object that a multipart
  upload made, in a bucket that never had versioning: the superseded
  manifest's segments, read from that manifest before it is replaced, and
  only those named ``<bucket>+segments/<key>/<its upload id>/<n>`` -- the
  parts of that upload. In buckets with versioning old versions keep
  their segments; deleting a version deletes them, as SLO does. With
  versioning suspended, a write replaces only the null version: its
  segments are freed, those of versions are kept.

A Swift-native SLO that some user built out of another upload's parts is
not looked for (``+segments`` is s3api's, not the user's).
"""

import copy
import json

from swift.common.middleware.s3api.s3response import NoSuchKey, \
    NoSuchBucket, AccessDenied
from swift.common.swob import str_to_wsgi
from swift.common.utils import StreamingPile, config_true_value

from swift3_multipart import layout, metrics, mpu
from swift3_multipart.controllers.common import segments_container, \
    key_of, without_copy_source, UPLOAD_ID_SYSMETA
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


def versioning_suspended(req, app):
    """True if the bucket's versioning is suspended (a write replaces the
    null version); unknown counts as enabled (a write keeps it)."""
    enabled = req.get_container_info(app).get('sysmeta', {}).get(
        'versions-enabled')
    return enabled is not None and not config_true_value(enabled)


def has_segments_container(req, app):
    seg_req = copy.copy(req)
    seg_req.environ = copy.copy(req.environ)
    seg_req.container_name = segments_container(req)
    try:
        seg_req.get_container_info(app)
        return True
    except NoSuchBucket:
        return False


def superseded_parts(req, app, upload_id=None, sizes=None):
    """
    The parts a write of the key will leave unneeded: those of the
    multipart upload the current object was completed from.

    :param upload_id: the upload being completed, if any (its own manifest
        is not superseded by a retry).
    :param sizes: a dict to fill with {part name: bytes}, from the manifest
    :returns: part names in the segments container (maybe empty).
    """
    if not has_segments_container(req, app):
        return []
    version = {}
    if ever_versioned(req, app):
        if not versioning_suspended(req, app):
            return []
        # Suspended: the write replaces the null version, if that is the
        # current one; a current version with an id stays.
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/AddingObjectstoVersionSuspendedBuckets.html
        version = {'version-id': 'null'}
    # our own look-up, not the client's request: no ACL handler
    try:
        with without_copy_source(req):
            head = own_response(req, app, 'HEAD', req.container_name,
                                req.object_name, query=version or None)
            # either layout's: both name parts <key>/<upload id>/...
            old_upload = head.sysmeta_headers.get(UPLOAD_ID_SYSMETA) or \
                head.sysmeta_headers.get(layout.OUR_UPLOAD_ID_SYSMETA)
            if not head.is_slo or not old_upload or old_upload == upload_id:
                return []
            got = own_response(req, app, 'GET', req.container_name,
                               req.object_name, query=dict(
                                   version, **{'multipart-manifest': 'get'}))
            entries = json.loads(got.body)
    except (NoSuchKey, AccessDenied, ValueError):
        return []
    prefix = '/%s/%s' % (segments_container(req),
                         mpu.parts_prefix(key_of(req), old_upload))
    names = []
    for entry in entries:
        if entry.get('name', '').startswith(prefix):
            name = entry['name'][len('/' + segments_container(req)) + 1:]
            names.append(name)
            if sizes is not None and isinstance(entry.get('bytes'), int):
                sizes[name] = entry['bytes']
    return names
