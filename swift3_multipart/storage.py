"""Multipart uploads as stored, read and cleaned through an InternalClient.

The reaper and the audit tool work below S3, with Swift's
``InternalClient`` (no user, no S3 signature), on the layout of
:mod:`swift3_multipart.mpu`::

    <bucket>+segments/<key>/<upload id>        upload marker
    <bucket>+segments/<key>/<upload id>/<n>    part n

:func:`abort_upload` removes an upload in the order AbortMultipartUpload
does (parts, then the marker), so that an interrupted abort can be run
again, and leaves the parts alone if the key's object is the upload's
completed manifest. Uploads of our layout (:mod:`swift3_multipart.layout`)
go through :mod:`swift3_multipart.client_backend`.
"""

import json

from swift.common.http import HTTP_NOT_FOUND
from swift.common.middleware.s3api.utils import MULTIUPLOAD_SUFFIX
from swift.common.swob import wsgi_unquote
from swift.common.utils import drain_and_close
from swift.common.utils.timestamp import Timestamp

from swift3_multipart import abort, layout, lifecycle, mpu
from swift3_multipart.client_backend import ClientBackend, OK_OR_GONE
from swift3_multipart.controllers.common import UPLOAD_ID_SYSMETA

# where a versioned bucket keeps its old versions (object_versioning), and
# where the older versioned_writes did
VERSIONS_SYSMETA = 'x-container-sysmeta-versions-container'
VERSIONS_LOCATIONS = ('x-versions-location', 'x-history-location')


def segments_container(bucket):
    return bucket + MULTIUPLOAD_SUFFIX


def head(swift, account, container, obj=None):
    """:returns: the response headers, or None on 404."""
    resp = swift.make_request('HEAD', swift.make_path(account, container, obj),
                              {}, OK_OR_GONE)
    drain_and_close(resp)
    if resp.status_int == HTTP_NOT_FOUND:
        return None
    return resp.headers


def bucket_rules(bucket_headers):
    """The lifecycle rules in a bucket's HEAD headers ([] if none)."""
    return lifecycle.from_sysmeta(
        (bucket_headers or {}).get(lifecycle.LIFECYCLE_SYSMETA))


def versions_containers(bucket_headers):
    """The containers that hold old versions of a bucket's objects."""
    found = []
    if bucket_headers.get(VERSIONS_SYSMETA):
        found.append(wsgi_unquote(bucket_headers[VERSIONS_SYSMETA]))
    found.extend(bucket_headers[h] for h in VERSIONS_LOCATIONS
                 if bucket_headers.get(h))
    return found


def upload_state(swift, account, bucket, key, upload_id):
    """:returns: (the headers of the upload's marker, or for an upload of
    our layout its record; when it was created, a float), or (None, None)
    if that is gone."""
    if layout.is_ours(upload_id):
        headers = ClientBackend(swift, account, bucket, key,
                                upload_id).record()
        if headers is None:
            return None, None
        return headers, float(layout.initiated_of(upload_id))
    headers = head(swift, account, segments_container(bucket),
                   mpu.marker_name(key, upload_id))
    if headers is None:
        return None, None
    return headers, float(Timestamp(headers['X-Timestamp']))


def marker_initiated(swift, account, bucket, key, upload_id):
    """:returns: when the upload was created (float), or None if its marker
    (for an upload of our layout: its record) is gone."""
    return upload_state(swift, account, bucket, key, upload_id)[1]


def upload_parts(swift, account, bucket, key, upload_id):
    """:returns: [(name, bytes)] of an upload's parts (of our layout: its
    attempts), in listing order."""
    if layout.is_ours(upload_id):
        backend = ClientBackend(swift, account, bucket, key, upload_id)
        return [(name, backend.sizes[name]) for name in backend.attempts()]
    prefix = mpu.parts_prefix(key, upload_id)
    return [(row['name'], row['bytes']) for row in swift.iter_objects(
        account, segments_container(bucket), prefix=prefix)
        if mpu.part_number_of(row['name'], prefix) is not None]


def completed_by(swift, account, bucket, key, upload_id):
    """True if the key's object is this upload's completed manifest."""
    headers = head(swift, account, bucket, key)
    return bool(headers) and headers.get(UPLOAD_ID_SYSMETA) == upload_id


def abort_upload(swift, account, bucket, key, upload_id):
    """
    Abort an upload: delete its parts, then its marker (a 404 is what we
    want). If a Complete wrote the manifest but not yet removed the
    marker, only the marker goes.

    An upload of our layout is aborted as AbortMultipartUpload does it
    (:func:`swift3_multipart.abort.abort`).

    :returns: (parts deleted, their bytes).
    """
    if layout.is_ours(upload_id):
        backend = ClientBackend(swift, account, bucket, key, upload_id)
        outcome = abort.abort(backend, upload_id)
        return outcome.deleted, backend.freed_bytes
    container = segments_container(bucket)
    parts = []
    if not completed_by(swift, account, bucket, key, upload_id):
        parts = upload_parts(swift, account, bucket, key, upload_id)
    for name, _ in parts:
        swift.delete_object(account, container, name,
                            acceptable_statuses=OK_OR_GONE)
    swift.delete_object(account, container, mpu.marker_name(key, upload_id),
                        acceptable_statuses=OK_OR_GONE)
    return len(parts), sum(size for _, size in parts)


def sweep_upload(swift, account, bucket, key, upload_id):
    """
    Free what an upload of our layout left that no manifest of it names,
    whether it is aborted, completed or gone (see
    :func:`swift3_multipart.abort.abort`, ``sweep``). An upload still in
    progress, and a bucket that has had versioning, are left alone.

    :returns: (attempts deleted, their bytes).
    """
    bucket_headers = head(swift, account, bucket)
    if bucket_headers is None or head(
            swift, account, layout.segments_container(bucket)) is None:
        return 0, 0   # the bucket went, and its segments with it
    if versions_containers(bucket_headers):
        # an old version may be its manifest: out of an InternalClient's
        # sight (its pipeline has no object_versioning)
        return 0, 0
    backend = ClientBackend(swift, account, bucket, key, upload_id)
    outcome = abort.abort(backend, upload_id, sweep=True)
    return outcome.deleted, backend.freed_bytes


def manifest_segments(swift, account, container, obj):
    """:returns: the '/<container>/<object>' names an SLO manifest lists
    ([] if the object is gone or is not an SLO manifest)."""
    resp = swift.make_request(
        'GET', swift.make_path(account, container, obj), {}, OK_OR_GONE,
        params={'multipart-manifest': 'get'})
    body = resp.body
    if resp.status_int == HTTP_NOT_FOUND or \
            not resp.headers.get('X-Static-Large-Object'):
        return []
    return [entry['name'] for entry in json.loads(body)
            if isinstance(entry, dict) and 'name' in entry]
