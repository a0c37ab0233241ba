"""UploadPart and UploadPartCopy (PUT ?partNumber=N&uploadId=ID)."""

from swift.common.middleware.s3api.acl_handlers import PartAclHandler
from swift.common.middleware.s3api.controllers.base import \
    object_operation, check_container_existence
from swift.common.middleware.s3api.controllers.obj import ObjectController
from swift.common.middleware.s3api.s3response import InvalidArgument
from swift.common.middleware.s3api.utils import sysmeta_header, S3Timestamp
from swift.common.swob import Range, str_to_wsgi, parse_date_header
from swift.common.utils import public

from swift3_multipart import mpu
from swift3_multipart.controllers.common import segments_container, \
    key_of, head_marker, refuse_unsupported

# Metadata of a copy source that must not stick to a part. (Not the
# container-update override of the listing's etag: Swift's copy middleware
# drops it whenever it does not copy the source's etag, and an empty value
# here would list the part with an empty ETag.)
COPY_SOURCE_CLEARED = (
    sysmeta_header('object', 'etag'),
    'X-Object-Sysmeta-Swift3-Etag',  # written by the old swift3
    'X-Object-Sysmeta-Slo-Etag',
    'X-Object-Sysmeta-Slo-Size',
)


def copy_source_range(req, source_resp):
    """
    Validate ``x-amz-copy-source-range`` against the source's size.

    :returns: the value for the backend Range header, or None.
    """
    value = req.headers.get('X-Amz-Copy-Source-Range')
    if value is None:
        return None
    try:
        ranges = Range(value)
    except ValueError:
        ranges = None
    if ranges is None or len(ranges.ranges) != 1:
        raise InvalidArgument(
            'x-amz-copy-source-range', value,
            'The x-amz-copy-source-range value must be of the form '
            'bytes=first-last where first and last are the zero-based '
            'offsets of the first and last bytes to copy')
    size = int(source_resp.headers['Content-Length'])
    if not ranges.ranges_for_length(size):
        raise InvalidArgument(
            'x-amz-copy-source-range', value,
            'Range specified is not valid for source object of size: %d'
            % size)
    return value


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
        upload_id = req.params['uploadId']
        # Only the marker says an upload is in progress. Stock s3api also
        # accepts the completed manifest here, and then overwrites a live
        # segment of the finished object.
        head_marker(req, self.app, upload_id)

        container = segments_container(req)
        obj = str_to_wsgi(mpu.part_name(key_of(req), upload_id,
                                        part_number))
        is_copy = 'X-Amz-Copy-Source' in req.headers
        if is_copy:
            # check_copy_source reads the target from the request
            req.container_name, req.object_name = container, obj
            source_resp = req.check_copy_source(self.app)
            rng = copy_source_range(req, source_resp)
            if rng is not None:
                req.headers['Range'] = rng
                del req.headers['X-Amz-Copy-Source-Range']
            req.headers.update({name: '' for name in COPY_SOURCE_CLEARED})

        resp = req.get_response(self.app, 'PUT', container, obj)
        if is_copy:
            last_modified = S3Timestamp(
                parse_date_header(resp.headers['Last-Modified']))
            resp.append_copy_resp_body('CopyPartResult',
                                       last_modified.s3xmlformat)
        resp.status = 200
        return resp
