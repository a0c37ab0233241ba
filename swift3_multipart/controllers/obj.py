"""s3api's object controller, plus GetObjectAttributes (GET ?attributes).

Stock s3api routes ``GET /bucket/key?attributes`` to a plain GET and answers
200 with the whole object. We answer the attributes document:
https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html
"""

import json

from swift.common.middleware.s3api.acl_handlers import ObjectAclHandler
from swift.common.middleware.s3api.controllers import obj as upstream
from swift.common.middleware.s3api.controllers.base import object_operation
from swift.common.middleware.s3api.s3response import HTTPOk, \
    ErrorResponse, InvalidArgument, NoSuchKey
from swift.common.swob import normalize_etag
from swift.common.utils import public, list_from_csv

from swift3_multipart import checksums, layout, xml
from swift3_multipart.controllers import part_checksums
from swift3_multipart.controllers.cleanup import delete_objects, \
    superseded_parts
from swift3_multipart.controllers.common import checksum_sysmeta, \
    segments_container, refuse_unsupported, CHECKSUM_TYPE_SYSMETA, \
    UPLOAD_ID_SYSMETA

ATTRIBUTES = ('ETag', 'Checksum', 'ObjectParts', 'StorageClass',
              'ObjectSize')
DEFAULT_MAX_PARTS = 1000


def requested_attributes(req):
    """The validated ``x-amz-object-attributes`` header, as a set."""
    names = list_from_csv(req.headers.get('x-amz-object-attributes', ''))
    if not names:
        raise InvalidArgument(
            'x-amz-object-attributes', '',
            'The x-amz-object-attributes header specifying the attributes '
            'to be retrieved is either missing or empty')
    for name in names:
        if name not in ATTRIBUTES:
            raise InvalidArgument('x-amz-object-attributes', name,
                                  'Invalid attribute name specified.')
    return set(names)


def header_int(req, name, default):
    value = req.headers.get(name)
    if value is None:
        return default
    try:
        number = int(value)
        if number < 0:
            raise ValueError
    except ValueError:
        raise InvalidArgument(name, value, 'Provided %s not an integer or '
                              'within integer range' % name)
    return number


# Part numbers of a completed object are positions: parts 1, 3 and 7
# completed are parts 1, 2 and 3 of the object, for GET/HEAD ?partNumber
# (SLO's ?part-number counts segments; x-amz-mp-parts-count is 3 and
# partNumber=4 is InvalidPartNumber) and for GetObjectAttributes alike.
# AWS does not document gaps; what we go by:
# - AWS's own download managers fetch partNumber=1..PartsCount to get the
#   whole object (aws-sdk-java TransferManager, aws/aws-sdk-java#1605;
#   aws-sdk-php S3Transfer, aws/aws-sdk-php#3247): with original numbers,
#   an object completed with gaps could not be downloaded that way;
# - where AWS shows part numbers after completion (ObjectParts' Part
#   entries, only for uploads with checksums) it requires them to start at
#   1 and be consecutive, so original number and position agree:
#   https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompletedPart.html
#   https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributesParts.html
# - MinIO renumbers parts 1, 4, 5, 6 to 1..4 at Complete (see Garage's
#   script/test-renumbering.sh), and Garage does the same; Ceph RGW and
#   Ozone keep the original numbers, citing no test against AWS.
def manifest_parts(entries):
    """[(part number, size)] of a stored SLO manifest, numbered by
    position (see above)."""
    return [(index, entry['bytes'])
            for index, entry in enumerate(entries, 1)]


def parts_with_checksums(req, app, head, entries, marker, max_parts):
    """
    [(part number, size, (algorithm, base64) or None)] of the object's
    parts, the checksums read for the page after ``marker`` only (see
    :mod:`swift3_multipart.controllers.part_checksums`).
    """
    parts = manifest_parts(entries)
    upload_id = head.sysmeta_headers.get(UPLOAD_ID_SYSMETA) or \
        head.sysmeta_headers.get(layout.OUR_UPLOAD_ID_SYSMETA)
    if not upload_id:
        return [part + (None,) for part in parts]
    names = part_checksums.segment_names(entries, segments_container(req))
    start = min(marker, len(parts))
    page = names[start:start + max_parts]
    after = names[start - 1] if start and layout.is_ours(upload_id) \
        else None
    found = part_checksums.page_checksums(req, app, upload_id, page, after)
    return [part + (found.get(name),) for part, name in zip(parts, names)]


def stored_checksum(resp):
    """(algorithm, type, value) a completed upload recorded, or None."""
    for algorithm in checksums.ALGORITHMS:
        value = resp.sysmeta_headers.get(checksum_sysmeta(algorithm))
        if value:
            return (algorithm, resp.sysmeta_headers.get(
                CHECKSUM_TYPE_SYSMETA, checksums.COMPOSITE), value)
    return None


def with_checksum(req, resp):
    """
    Add the object's checksum to a GET/HEAD answer when the client asks
    with ``x-amz-checksum-mode: ENABLED`` (not for a part of it).
    """
    if req.headers.get('x-amz-checksum-mode', '').upper() != 'ENABLED' \
            or 'partNumber' in req.params:
        return resp
    found = stored_checksum(resp)
    if found:
        algorithm, checksum_type, value = found
        resp.headers[checksums.header_name(algorithm)] = value
        resp.headers['x-amz-checksum-type'] = checksum_type
    return resp


class ObjectController(upstream.ObjectController):
    """Object requests, as s3api, and GetObjectAttributes."""
    acl_handler = ObjectAclHandler
    resource_type = 'OBJECT'

    @public
    def GET(self, req):
        if 'attributes' in req.params:
            return self.get_attributes(req)
        return with_checksum(req, super().GET(req))

    @public
    def HEAD(self, req):
        return with_checksum(req, super().HEAD(req))

    @public
    def PUT(self, req):
        """PutObject and CopyObject, freeing the segments of a multipart
        object they replace (see :mod:`.cleanup`). Like the multipart
        operations, they refuse what we cannot honour (SSE-C, object
        lock) rather than store the data as if it had not been asked."""
        refuse_unsupported(req)
        sizes = {}
        superseded = superseded_parts(req, self.app, sizes=sizes)
        resp = super().PUT(req)
        if superseded:
            try:
                delete_objects(req, self.app, segments_container(req),
                               superseded,
                               self.conf.segment_delete_concurrency,
                               logger=self.logger, sizes=sizes)
            except ErrorResponse as err:
                self.logger.warning('could not free %d parts: %s',
                                    len(superseded), err.summary)
        return resp

    @object_operation
    def get_attributes(self, req):
        wanted = requested_attributes(req)
        max_parts = header_int(req, 'x-amz-max-parts', DEFAULT_MAX_PARTS)
        marker = header_int(req, 'x-amz-part-number-marker', 0)
        query = {}
        if req.params.get('versionId') is not None:
            query['version-id'] = req.params['versionId']
        handler = getattr(req, 'acl_handler', None)
        if handler is not None:
            # s3_acl: s3api's ACL table has no entry for a HEAD made for a
            # GET (it raises); READ on the object (or the version asked
            # for), as GetObject checks. No public call takes a permission.
            head = handler._handle_acl(self.app, 'HEAD', permission='READ')
        else:
            head = req.get_response(self.app, 'HEAD', query=query or None)
        if 'x-amz-meta-deleted' in head.headers:
            raise NoSuchKey(req.object_name)
        parts = None
        checksum = stored_checksum(head)
        if 'ObjectParts' in wanted and head.is_slo:
            # the manifest as stored: name, bytes... of each segment
            query['multipart-manifest'] = 'get'
            got = req.get_response(self.app, 'GET', query=query)
            entries = json.loads(got.body)
            if checksum is None:
                # (AWS gives only the parts' count)
                parts = manifest_parts(entries)
            else:
                parts = parts_with_checksums(req, self.app, head, entries,
                                             marker, max_parts)
        body = xml.object_attributes(
            wanted, normalize_etag(head.headers.get('etag')),
            int(head.headers['Content-Length']), parts, marker, max_parts,
            checksum)
        headers = {'Last-Modified': head.headers.get('Last-Modified')}
        if 'x-amz-version-id' in head.headers:
            headers['x-amz-version-id'] = head.headers['x-amz-version-id']
        return HTTPOk(body=body, content_type='application/xml',
                      headers=headers)
