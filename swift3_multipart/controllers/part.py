"""UploadPart and UploadPartCopy (PUT ?partNumber=N&uploadId=ID)."""

import re

from swift.common.middleware.s3api.acl_handlers import PartAclHandler
from swift.common.middleware.s3api.controllers.base import \
    object_operation, check_container_existence
from swift.common.middleware.s3api.controllers.obj import ObjectController
from swift.common.middleware.s3api.s3response import InvalidArgument, \
    InvalidRequest, ErrorResponse, NoSuchUpload, NoSuchBucket
from swift.common.middleware.s3api.utils import sysmeta_header, S3Timestamp
from swift.common.request_helpers import get_container_update_override_key
from swift.common.swob import str_to_wsgi, parse_date_header
from swift.common.utils import public

from swift3_multipart import checksums, layout, mpu
from swift3_multipart.controllers import attempts, records, sse
from swift3_multipart.controllers.cleanup import delete_objects
from swift3_multipart.controllers.common import upload_id_param, \
    segments_container, key_of, head_marker, refuse_unsupported, \
    declared_checksum, checksum_sysmeta
from swift3_multipart.controllers.fence import CommitCheck

# Metadata of a copy source that must not stick to a part. (Not the
# container-update override of the listing's etag: Swift's copy middleware
# drops it whenever it does not copy the source's etag, and an empty value
# here would list the part with an empty ETag.)
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
# "bytes=first-last", zero-based offsets, both given
COPY_SOURCE_RANGE = re.compile(r'^bytes=([0-9]+)-([0-9]+)$')
COPY_SOURCE_CLEARED = (
    sysmeta_header('object', 'etag'),
    'X-Object-Sysmeta-Swift3-Etag',  # written by the old swift3
    'X-Object-Sysmeta-Slo-Etag',
    'X-Object-Sysmeta-Slo-Size',
)


def copy_source_range(req, source_resp):
    """
    Validate ``x-amz-copy-source-range`` against the source's size: one
    range ``bytes=first-last``, both given, first <= last < size. AWS
    refuses a range that ends past the source (``bytes=0-21`` of a 5-byte
    object) with InvalidArgument 400, "Range specified is not valid for
    source object of size: 5", where stock s3api (as swob, HTTP) copies what
    there is (issue 12 item 5):
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html

    :returns: the value for the backend Range header, or None.
    """
    value = req.headers.get('X-Amz-Copy-Source-Range')
    if value is None:
        return None
    match = COPY_SOURCE_RANGE.match(value)
    if match is None:
        raise InvalidArgument(
            'x-amz-copy-source-range', value,
            'The x-amz-copy-source-range value must be of the form '
            'bytes=first-last where first and last are the zero-based '
            'offsets of the first and last bytes to copy')
    first, last = int(match.group(1)), int(match.group(2))
    size = int(source_resp.headers['Content-Length'])
    if not first <= last < size:
        raise InvalidArgument(
            'x-amz-copy-source-range', value,
            'Range specified is not valid for source object of size: %d'
            % size)
    return 'bytes=%d-%d' % (first, last)


def find_trailers(wsgi_input):
    """
    The trailers dict of s3api's aws-chunked input (filled in as the body
    is read), through the input wrappers around it; None if there is none.
    """
    seen = 0
    while wsgi_input is not None and seen < 10:
        trailers = getattr(wsgi_input, 'trailers', None)
        if isinstance(trailers, dict):
            return trailers
        wsgi_input = getattr(wsgi_input, 'wsgi_input', None)
        seen += 1
    return None


class PartChecksum(object):
    """
    The checksum an UploadPart came with (s3api has checked it against the
    body), recorded on the part and in its container listing row: from the
    header at once, from an aws-chunked trailer through footers once the
    body is read.
    """

    def __init__(self, req, declared):
        """:param declared: the algorithm Create declared, if known."""
        self.algorithm = None
        self._value = None
        self._trailers = None
        for header, value in req.headers.items():
            algorithm = checksums.algorithm_of_header(header)
            if algorithm:
                self.algorithm, self._value = algorithm, value.strip()
        trailer = req.headers.get('x-amz-trailer', '').strip().lower()
        if checksums.algorithm_of_header(trailer):
            self.algorithm = checksums.algorithm_of_header(trailer)
            self._trailers = find_trailers(req.environ['wsgi.input'])
            self._trailer = trailer
        self.check_declared(declared)
        if self.algorithm is None:
            return
        self._content_type = req.headers.get('Content-Type') or \
            'application/octet-stream'
        if self._value is not None:
            req.headers.update(self._metadata(self._value))
        elif self._trailers is not None:
            # before any footer callback of middlewares below us
            req.environ['swift.callback.update_footers'] = self._add_footers

    def check_declared(self, declared):
        """
        :raises InvalidRequest: Create declared a checksum algorithm and
            the part does not come with a checksum of it.
        """
        if declared and self.algorithm != declared:
            # https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
            raise InvalidRequest(
                'The upload was created using the %s checksum algorithm: '
                'each part needs an x-amz-checksum-%s header or trailer.' % (
                    declared, declared.lower()))

    def value(self):
        if self._value is None and self._trailers is not None:
            return self._trailers.get(self._trailer)
        return self._value

    def _metadata(self, value):
        return {
            checksum_sysmeta(self.algorithm): value,
            get_container_update_override_key('content-type'):
                mpu.part_content_type(self._content_type, self.algorithm,
                                      value),
        }

    def _add_footers(self, footers):
        value = self.value()
        if value:
            footers.update(self._metadata(value))


class PartController(ObjectController):
    """UploadPart and UploadPartCopy, logged as PART."""
    acl_handler = PartAclHandler
    resource_type = 'PART'

    @public
    @object_operation
    @check_container_existence
    def PUT(self, req):
        """
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
        """
        if 'uploadId' not in req.params:
            raise InvalidArgument('ResourceType', 'partNumber',
                                  'Unexpected query string parameter')
        refuse_unsupported(req)
        part_number = req.validate_part_number()
        upload_id = upload_id_param(req)
        if layout.is_ours(upload_id):
            return self._put_attempt(req, part_number, upload_id)
        # Only the marker says an upload is in progress. Stock s3api also
        # accepts the completed manifest here, and then overwrites a live
        # segment of the finished object.
        marker_resp = head_marker(req, self.app, upload_id)

        commit_check = CommitCheck(req, self.app, upload_id)
        obj = str_to_wsgi(mpu.part_name(key_of(req), upload_id,
                                        part_number))
        part_checksum = self._prepare(
            req, obj, declared_checksum(marker_resp)[0])
        # wraps PartChecksum's footer callback: checks before it
        commit_check.install()

        try:
            resp = req.get_response(self.app, 'PUT',
                                    segments_container(req), obj)
        except ErrorResponse:
            if commit_check.refusal is not None:
                raise commit_check.refusal
            raise
        return self._answer(req, resp, part_checksum)

    def _put_attempt(self, req, part_number, upload_id):
        """
        UploadPart of our layout: write a new attempt, then read the
        record. The attempt is never overwritten, so no race can change a
        part that a Complete has read; a Complete or Abort that came first
        has removed the record, and then the attempt goes again (unless a
        Complete, concurrent with us, put it in its manifest).
        """
        records.acl_check(req, self.app, write=True)
        if not layout.key_fits(req.object_name):
            # Create refuses such keys (KeyTooLongError): no upload of
            # them exists, and Swift would refuse the attempt's name
            raise NoSuchUpload(upload_id=upload_id)
        name = layout.attempt_name(key_of(req), upload_id, part_number,
                                   layout.new_attempt())
        obj = str_to_wsgi(name)
        # Create's algorithm is read after the write: unknown here
        part_checksum = self._prepare(req, obj, None)
        try:
            resp = req.get_response(self.app, 'PUT', segments_container(req),
                                    obj)
        except NoSuchBucket:
            # no segments container: no upload
            raise NoSuchUpload(upload_id=upload_id)
        record = records.head_record(req, self.app, key_of(req), upload_id)
        if record is None:
            kept = attempts.manifest_segments(req, self.app, upload_id)
            if kept is None or name not in kept:
                delete_objects(req, self.app, segments_container(req),
                               [name], 1)
                raise NoSuchUpload(upload_id=upload_id)
        elif part_checksum is not None:
            try:
                part_checksum.check_declared(declared_checksum(record)[0])
            except InvalidRequest:
                delete_objects(req, self.app, segments_container(req),
                               [name], 1)
                raise
        return self._answer(req, resp, part_checksum)

    def _prepare(self, req, obj, declared):
        """
        Make ``req`` the PUT of the part (or of its copy).

        :returns: the :class:`PartChecksum` of an UploadPart, None for a
            copy.
        """
        if 'X-Amz-Copy-Source' not in req.headers:
            return PartChecksum(req, declared)
        # check_copy_source reads the target from the request
        bucket, key = req.container_name, req.object_name
        req.container_name, req.object_name = segments_container(req), obj
        try:
            source_resp = req.check_copy_source(self.app)
        finally:
            req.container_name, req.object_name = bucket, key
        rng = copy_source_range(req, source_resp)
        if rng is not None:
            req.headers['Range'] = rng
            del req.headers['X-Amz-Copy-Source-Range']
        req.headers.update({name: '' for name in COPY_SOURCE_CLEARED})
        return None

    def _answer(self, req, resp, part_checksum):
        if part_checksum and part_checksum.value():
            resp.headers[checksums.header_name(part_checksum.algorithm)] = \
                part_checksum.value()
        if 'X-Amz-Copy-Source' in req.headers:
            last_modified = S3Timestamp(
                parse_date_header(resp.headers['Last-Modified']))
            resp.append_copy_resp_body('CopyPartResult',
                                       last_modified.s3xmlformat)
        resp.status = 200
        return sse.add_header(resp)
