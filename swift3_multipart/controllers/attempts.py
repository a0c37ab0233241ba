"""Reading an upload of our layout: its part attempts in the segments
container and the manifests it completed into.

An attempt is never overwritten; the newest attempt of a part (the last in
the listing, see :func:`swift3_multipart.layout.new_attempt`) is the part.
"""

import json

from swift.common.http import is_success, HTTP_NOT_FOUND, \
    HTTP_UNAUTHORIZED, HTTP_FORBIDDEN
from swift.common.middleware.s3api.s3response import NoSuchKey, \
    NoSuchBucket, AccessDenied, ServiceUnavailable
from swift.common.utils import drain_and_close
from swift.common.utils.timestamp import Timestamp

from swift3_multipart import layout
from swift3_multipart.controllers.cleanup import ever_versioned
from swift3_multipart.controllers.common import segments_container, \
    key_of, part_of_row, without_copy_source
from swift3_multipart.controllers.own import own_response

# rows per listing page
PAGE = 10000


def _page(req, app, query, check=None):
    """
    One listing page of the segments container ([] if it is gone).

    :param check: a callable given the page's response, that checks the
        caller's permission with it (see :func:`records.auth_check`);
        then a missing container raises NoSuchBucket.
    """
    try:
        resp = own_response(req, app, 'GET', segments_container(req), '',
                            query=dict(query))
    except NoSuchBucket:
        if check:
            raise
        return []
    if check:
        check(resp)
    return json.loads(resp.body)


def _attempt_pages(req, app, upload_id, after_part, limits, check=None):
    """
    The attempt rows of the parts numbered above ``after_part``, in
    listing order, page by page, each row with its (part number, attempt)
    as 'attempt' (names of other shapes, as the abort record, are
    dropped).

    :param limits: a callable that gives the next page's row limit.
    :param check: see :func:`_page`, for the first page.
    """
    prefix = layout.parts_prefix(key_of(req), upload_id)
    query = layout.attempts_query(key_of(req), upload_id, after_part)
    while True:
        limit = limits()
        query['limit'] = str(limit)
        rows = _page(req, app, query, check)
        check = None
        for row in rows:
            found = layout.attempt_of(row['name'], prefix)
            if found is not None:
                row['attempt'] = found
                yield row
        if len(rows) < limit:
            return
        query['marker'] = rows[-1]['name']


def attempt_rows(req, app, upload_id, after_part=0):
    """Every attempt row of the parts numbered above ``after_part``, in
    listing order, each with its (part number, attempt) as 'attempt'."""
    return _attempt_pages(req, app, upload_id, after_part, lambda: PAGE)


def list_parts(req, app, upload_id, after_part=0, count=None, seen=None,
               check=None):
    """
    The newest attempt of each part numbered above ``after_part``.

    :param count: stop once this many parts are known and one more part
        has begun (so that the last of them is its newest attempt). Each
        page asks for no more rows than could still be needed, so a page
        of ``count`` parts reads at most ``count`` + 1 rows and the older
        attempts among them.
    :param seen: a list that gets the name of every attempt read.
    :param check: checks the caller's permission with the first page's
        response (see :func:`_page`).
    :returns: (parts in number order, True if more parts follow); each
        part as :func:`part_of_row` gives it, with 'name' (the attempt's
        object name).
    """
    parts = []

    def limits():
        # every row is at most one more part
        return PAGE if count is None else min(PAGE, count - len(parts) + 1)
    for row in _attempt_pages(req, app, upload_id, after_part, limits,
                              check):
        if seen is not None:
            seen.append(row['name'])
        number = row['attempt'][0]
        if parts and parts[-1]['part_number'] == number:
            parts[-1] = _part(number, row)
            continue
        if count is not None and len(parts) == count:
            return parts, True
        parts.append(_part(number, row))
    return parts, False


def _part(number, row):
    part = part_of_row(number, row)
    part['name'] = row['name']
    return part


def manifest_segments(req, app, upload_id):
    """
    What the manifests this upload completed into name: the current
    object of the key, and in a bucket that has had versioning, every
    version written since the upload began.

    :returns: a set of segment names in the segments container, or None if
        no object of the key is this upload's manifest.
    """
    versions = [None]
    if ever_versioned(req, app):
        versions = _versions_since(req, app, layout.initiated_of(upload_id))
    found = None
    for version in versions:
        names = _manifest_of(req, app, upload_id, version)
        if names is not None:
            found = (found or set()) | names
    return found


def _manifest_of(req, app, upload_id, version):
    query = {} if version is None else {'version-id': version}
    try:
        with without_copy_source(req):
            head = own_response(req, app, 'HEAD', req.container_name,
                                req.object_name, query=dict(query),
                                headers={'X-Newest': 'true'})
            if head.sysmeta_headers.get(
                    layout.OUR_UPLOAD_ID_SYSMETA) != upload_id:
                return None
            got = own_response(
                req, app, 'GET', req.container_name, req.object_name,
                query=dict(query, **{'multipart-manifest': 'get'}),
                headers={'X-Newest': 'true'})
            entries = json.loads(got.body)
    except (NoSuchKey, AccessDenied, ValueError):
        return None
    prefix = '/%s/' % segments_container(req)
    return {entry['name'][len(prefix):] for entry in entries
            if entry.get('name', '').startswith(prefix)}


def _versions_since(req, app, initiated):
    """The version ids of the key written since ``initiated`` (None for
    the current object, always first)."""
    found = [None]
    query = {'versions': None, 'format': 'json',
             'prefix': key_of(req)}
    try:
        resp = own_response(req, app, 'GET', req.container_name, '',
                            query=query)
        rows = json.loads(resp.body)
    except (NoSuchBucket, AccessDenied, ValueError):
        return found
    for row in rows:
        if row.get('name') != key_of(req) or not row.get('version_id') or \
                row['version_id'] == 'null':
            continue
        if row.get('last_modified', '') >= initiated.isoformat:
            found.append(row['version_id'])
    return found


def head_newest(req, app, container, obj):
    """
    HEAD an object, asking every replica (X-Newest), 404 included: a 404
    still tells when a deletion was (X-Backend-Timestamp).

    :returns: the swob response (2xx or 404).
    :raises AccessDenied: the caller may not read it.
    :raises ServiceUnavailable: any other answer.
    """
    with without_copy_source(req):
        sw_req = req.to_swift_req('HEAD', container, obj,
                                  headers={'X-Newest': 'true'})
    resp = sw_req.get_response(app)
    drain_and_close(resp)
    if is_success(resp.status_int) or resp.status_int == HTTP_NOT_FOUND:
        return resp
    if resp.status_int in (HTTP_UNAUTHORIZED, HTTP_FORBIDDEN):
        raise AccessDenied()
    raise ServiceUnavailable()


def head_key(req, app):
    """:func:`head_newest` of the request's key."""
    return head_newest(req, app, req.container_name, req.object_name)


def key_timestamp(resp):
    """:returns: the Timestamp of what the key holds (its data or its
    tombstone), or None if it never held anything."""
    value = resp.headers.get('X-Backend-Timestamp') or \
        resp.headers.get('X-Timestamp')
    return Timestamp(value) if value else None
