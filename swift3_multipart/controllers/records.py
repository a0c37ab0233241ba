"""The upload records of our layout, in the bucket's reserved index
container (see :mod:`swift3_multipart.layout`).

No user can name that container, so every request to it is ours: made from
the S3 request (its metadata headers translated as s3api translates them),
pre-authorized, and carrying ``X-Backend-Allow-Reserved-Names``. Whether the
caller may do what it asks is checked before, by :func:`check`.
"""

import json

from swift.common.http import is_success, HTTP_NOT_FOUND, \
    HTTP_SERVICE_UNAVAILABLE
from swift.common.middleware.s3api.s3response import AccessDenied, \
    InternalError, NoSuchUpload, ServiceUnavailable, S3Response
from swift.common.swob import str_to_wsgi, wsgi_to_str
from swift.common.utils import drain_and_close, StreamingPile
from swift.proxy.controllers.base import get_container_info

from swift3_multipart import layout, manifest
from swift3_multipart.layout import segments_container
from swift3_multipart.controllers.common import without_copy_source
from swift3_multipart.controllers.own import own_response

SWIFT_SOURCE = 'S3MPU'


def index_container(req):
    """The (WSGI string) name of the bucket's index container."""
    return str_to_wsgi(layout.index_container(wsgi_to_str(
        req.container_name)))


def _request(req, app, method, obj='', headers=None, body=None,
             query=None):
    """
    One pre-authorized request to the index container.

    :param obj: the record's name (native string), '' for the container.
    :returns: the swob response (body read).
    :raises ServiceUnavailable: the backend answered 503.
    :raises InternalError: any other unexpected status.
    """
    headers = dict(headers or {})
    headers[layout.RESERVED_NAMES_HEADER] = 'true'
    # (an UploadPartCopy's ?versionId= is the source's, not the record's)
    with without_copy_source(req):
        sw_req = req.to_swift_req(method, index_container(req),
                                  str_to_wsgi(obj) if obj else '',
                                  query=query, body=body, headers=headers)
    sw_req.environ['swift.authorize_override'] = True
    sw_req.environ['swift.authorize'] = lambda _req: None
    sw_req.environ['swift.source'] = SWIFT_SOURCE
    resp = sw_req.get_response(app)
    if method == 'GET':
        resp.body  # read it before the connection goes
    else:
        drain_and_close(resp)
    if is_success(resp.status_int) or resp.status_int == HTTP_NOT_FOUND:
        return resp
    if resp.status_int == HTTP_SERVICE_UNAVAILABLE:
        raise ServiceUnavailable()
    raise InternalError('unexpected status code %d from %s of the upload '
                        'index: %r' % (resp.status_int, method,
                                       resp.body[:200]))


def put_record(req, app, key, upload_id, headers):
    """
    Write an upload's record, creating the index container the first
    time.

    :param headers: the record's headers (metadata, sysmeta, content type);
        the S3 request's own are sent too, as s3api sends them.
    """
    name = layout.record_name(key, upload_id)
    resp = _request(req, app, 'PUT', name, headers=headers, body=b'')
    if resp.status_int == HTTP_NOT_FOUND:
        _request(req, app, 'PUT', headers={'Content-Length': '0'}, body=b'')
        resp = _request(req, app, 'PUT', name, headers=headers, body=b'')
    if not is_success(resp.status_int):
        raise ServiceUnavailable()


def head_record(req, app, key, upload_id):
    """
    :returns: the HEAD response of a live upload's record (the newest any
        object server holds), or None if it is gone or never was.
    """
    resp = _request(req, app, 'HEAD', layout.record_name(key, upload_id),
                    headers={'X-Newest': 'true'})
    if not is_success(resp.status_int):
        return None
    return S3Response.from_swift_resp(resp)


def delete_record(req, app, key, upload_id):
    """DELETE an upload's record (a 404 is what we want)."""
    _request(req, app, 'DELETE', layout.record_name(key, upload_id))


def list_records(req, app, prefix, marker, limit):
    """One page of the index listing (rows of Swift's JSON listing)."""
    resp = _request(req, app, 'GET',
                    query=layout.index_query(prefix, marker, limit))
    if resp.status_int != 200:
        return []
    return json.loads(resp.body)


def acl_check(req, app, write):
    """
    Under s3_acl, the bucket ACL check that stock s3api makes with its
    marker HEAD: WRITE for UploadPart, Complete and Abort, READ for
    ListParts. (Every backend request is pre-authorized under s3_acl.)

    :returns: True if checked (s3_acl is on), False if not.
    :raises AccessDenied: the ACL does not grant it.
    """
    handler = getattr(req, 'acl_handler', None)
    if handler is None:
        return False
    # the check s3api's UploadAclHandler makes with its marker HEAD, on the
    # bucket: its public entry points take no permission, _handle_acl does
    handler._handle_acl(app, 'HEAD', req.container_name, '',
                        permission='WRITE' if write else 'READ')
    return True


def auth_check(req, app, write, resp=None):
    """
    Without s3_acl, ask the auth middleware whether the caller may read
    (HEAD) the segments container, and if ``write``, write into it, as the
    proxy would ask for a PUT of a part.

    :param resp: the response of the caller's own read of the segments
        container (a listing, through auth: the read is checked), to use
        instead of a HEAD of it.
    :raises AccessDenied: it may not.
    :raises NoSuchBucket: there is no segments container.
    """
    if resp is None:
        resp = own_response(req, app, 'HEAD',
                            segments_container(req.container_name), '')
    if not write:
        return
    info = get_container_info(resp.environ, app, swift_source=SWIFT_SOURCE)
    allowed = manifest.may_put(resp.environ, '%s/%s' % (
        resp.environ['PATH_INFO'].rstrip('/'), 'upload'),
        info.get('write_acl'))
    if allowed is False:
        raise AccessDenied()


def check(req, app, write):
    """:func:`acl_check` under s3_acl, else :func:`auth_check`."""
    if not acl_check(req, app, write):
        auth_check(req, app, write)


def check_upload(req, app, upload_id, write):
    """
    First step of every request about an upload of our layout: the
    caller's permission (:func:`check`), then no such upload of a key too
    long for one, answered before any read of the upload.

    :raises NoSuchUpload: the key is too long to have an upload.
    """
    check(req, app, write)
    if not layout.key_fits(req.object_name):
        raise NoSuchUpload(upload_id=upload_id)


def delete_index(req, app, concurrency):
    """
    DeleteBucket: remove every record and the index container (the
    bucket's uploads go with it, as their parts do).
    """
    while True:
        rows = list_records(req, app, '', None, 1000)
        if not rows:
            break
        with StreamingPile(max(1, concurrency)) as pile:
            for _ in pile.asyncstarmap(_request, (
                    (req, app, 'DELETE', row['name']) for row in rows)):
                pass
        if len(rows) < 1000:
            break
    try:
        _request(req, app, 'DELETE')
    except InternalError:
        pass  # 409: a row still listed; an empty container harms nothing
