"""ListParts (GET), AbortMultipartUpload (DELETE) and
CompleteMultipartUpload (POST) of ``?uploadId=ID``."""

from swift.common.middleware.s3api.controllers.base import Controller, \
    object_operation, check_container_existence
from swift.common.middleware.s3api.s3response import ErrorResponse, \
    HTTPOk, HTTPNoContent, InvalidArgument, InvalidRequest, NoSuchUpload, \
    ServiceUnavailable
from swift.common.utils import public
from swift.common.utils.timestamp import Timestamp, NormalTimestamp

from swift3_multipart import abort, layout, mpu, xml
from swift3_multipart.controllers import attempts, records, sse
from swift3_multipart.controllers.acl import UploadAclHandler
from swift3_multipart.controllers import completion as completions
from swift3_multipart.controllers import conditions as complete_conditions
from swift3_multipart.controllers.s3backend import S3Backend
from swift3_multipart.controllers.common import upload_id_param, \
    segments_container, key_of, head_marker, completed_manifest, \
    initiator_of, list_parts, list_parts_after, refuse_unsupported, \
    declared_checksum, S3_ETAG_SYSMETA
from swift3_multipart.controllers.cleanup import delete_objects, \
    ever_versioned
from swift3_multipart.controllers import expiring
from swift3_multipart.controllers.fence import wait_for_complete, settle
from swift3_multipart.controllers.complete import Completion, \
    complete_result
from swift3_multipart.controllers.complete_reads import CompleteReads
from swift3_multipart.controllers.uploads import encoding_type_param

DEFAULT_MAX_PARTS_LISTING = 1000
# Complete checks the parts once more before its fence (for a quick error)
# only up to this many: above, the listing costs more than the settle time
PRECHECK_PARTS = 1000
# 10,000 parts of ~120 bytes of XML each fit twice over
MAX_COMPLETE_UPLOAD_BODY_SIZE = 2 * 1024 * 1024


class UploadController(Controller):
    """ListParts, AbortMultipartUpload and CompleteMultipartUpload, logged
    as UPLOAD."""
    acl_handler = UploadAclHandler
    resource_type = 'UPLOAD'
    # Seconds a Complete may run before we commit to 200 and send
    # whitespace to keep the client waiting (as SLO's heartbeat does).
    heartbeat_grace = 10

    @public
    @object_operation
    @check_container_existence
    def GET(self, req):
        """
        ListParts.

        https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html
        """
        encoding_type = encoding_type_param(req)
        upload_id = upload_id_param(req)
        max_parts = req.get_validated_param(
            'max-parts', DEFAULT_MAX_PARTS_LISTING,
            self.conf.max_parts_listing)
        part_number_marker = req.get_validated_param('part-number-marker', 0)
        if layout.is_ours(upload_id):
            # ListParts of our layout: the newest attempt of each part
            records.check_upload(req, self.app, upload_id, write=False)
            upload = records.head_record(req, self.app, key_of(req),
                                         upload_id)
            if upload is None:
                raise NoSuchUpload(upload_id=upload_id)
            page, truncated = attempts.list_parts(
                req, self.app, upload_id, part_number_marker, max_parts)
            initiated = layout.initiated_of(upload_id)
        else:
            upload = head_marker(req, self.app, upload_id)
            page, truncated = list_parts_after(
                req, self.app, upload_id, part_number_marker, max_parts,
                max(self.conf.max_upload_part_num, mpu.S3_MAX_PARTS))
            initiated = None   # the marker's time
        body = xml.list_parts_result(
            req.container_name, key_of(req), upload_id,
            initiator_of(upload, req), page, part_number_marker,
            page[-1]['part_number'] if page else 0, max_parts,
            truncated, encoding_type, declared_checksum(upload))
        resp = HTTPOk(body=body, content_type='application/xml')
        resp.headers.update(expiring.listed(req, self.app, self.conf,
                                            upload, initiated))
        return resp

    @public
    @object_operation
    @check_container_existence
    def DELETE(self, req):
        """
        AbortMultipartUpload: remove the marker, so that no UploadPart
        commits and no Complete writes from then on (see
        :mod:`swift3_multipart.controllers.fence`), wait for those that got
        past their check, then delete the parts (in parallel). A repeated
        Abort also frees parts left behind by a failed one or by an
        UploadPart racing it, as AWS says one may have to abort more than
        once.

        https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html
        """
        upload_id = upload_id_param(req)
        if layout.is_ours(upload_id):
            records.check_upload(req, self.app, upload_id, write=True)
            outcome = abort.abort(
                S3Backend(req, self.app, self.conf, upload_id, self.logger),
                upload_id)
            if not outcome.aborted:
                raise NoSuchUpload(upload_id=upload_id)
            self.logger.increment('mpu.abort')
            return HTTPNoContent()
        try:
            head_marker(req, self.app, upload_id)
            in_progress = wait_for_complete(req, self.app, upload_id)
        except NoSuchUpload:
            if not mpu.valid_upload_id(upload_id):
                raise
            in_progress = False
        container = segments_container(req)
        marker = mpu.marker_name(key_of(req), upload_id)
        if completed_manifest(req, self.app, upload_id) is not None:
            # A Complete wrote the manifest (and maybe not yet removed the
            # marker): the parts are a live object's segments.
            if in_progress:
                delete_objects(req, self.app, container, [marker], 1)
            raise NoSuchUpload(upload_id=upload_id)
        if not in_progress and ever_versioned(req, self.app):
            # an older version may be this upload's manifest
            raise NoSuchUpload(upload_id=upload_id)
        if in_progress:
            delete_objects(req, self.app, container, [marker], 1)
            settle(self.conf)
        parts = [mpu.part_name(key_of(req), upload_id, number)
                 for number in list_parts(req, self.app, upload_id)]
        if not in_progress and not parts:
            raise NoSuchUpload(upload_id=upload_id)
        delete_objects(req, self.app, container, parts,
                       self.conf.segment_delete_concurrency,
                       logger=self.logger)
        self.logger.increment('mpu.abort')
        return HTTPNoContent()

    @public
    @object_operation
    @check_container_existence
    def POST(self, req):
        """
        CompleteMultipartUpload.

        https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
        """
        upload_id = upload_id_param(req)
        refuse_unsupported(req)
        conditions = complete_conditions.pop(req)
        object_size = mp_object_size(req)
        ours = layout.is_ours(upload_id)
        if ours:
            # the permission check runs with the first reads
            reads = CompleteReads(req, self.app, upload_id)
            try:
                reads.checked()
                return self._post_ours(req, upload_id, reads, conditions,
                                       object_size)
            finally:
                reads.finish()
        else:
            try:
                marker_resp = head_marker(req, self.app, upload_id)
            except NoSuchUpload:
                marker_resp = None

        requested = self._parse(req, upload_id, marker_resp)
        s3_etag = mpu.multipart_etag([etag for _, etag, _ in requested])
        if marker_resp is None:
            return finished(req, self.app, upload_id, s3_etag)
        self._check_clock(marker_resp)

        completion = Completion(self, req, upload_id, marker_resp, s3_etag)
        if len(requested) <= PRECHECK_PARTS:
            # a Complete that cannot succeed answers at once, without
            # fencing the upload (and waiting the settle time)
            self._check(completion, requested, object_size)
        if not completion.fence():
            # another Complete finished the upload while we waited
            return finished(req, self.app, upload_id, s3_etag)
        try:
            # again, now that no UploadPart can replace a part, and with
            # every part that an Abort or another Complete left
            self._check(completion, requested, object_size)
            completion.check_conditions(conditions)
            completion.find_superseded()
            # an Abort that came before the fence has removed the marker by
            # now (its settle time is ours)
            head_marker(req, self.app, upload_id)
        except ErrorResponse:
            completion.unfence()
            raise
        return self._answer(req, completion, s3_etag)

    def _parse(self, req, upload_id, record):
        """The part list of the Complete's body.

        :param record: the upload's marker or record, None if it is gone.
        """
        body = req.xml(MAX_COMPLETE_UPLOAD_BODY_SIZE)
        if body and req.check_md5(body):
            # the Content-MD5 is the body's, not the object's
            req.headers.pop('Etag', None)
        try:
            return xml.parse_complete(
                body, self.conf.max_upload_part_num, upload_id, self.logger)
        except ErrorResponse:
            if record is None and completed_manifest(
                    req, self.app, upload_id) is None:
                # no such upload comes first, as AWS (and stock) answer
                raise NoSuchUpload(upload_id=upload_id)
            raise

    def _post_ours(self, req, upload_id, reads, conditions, object_size):
        """Complete of our layout (see
        :mod:`swift3_multipart.controllers.completion`)."""
        record = reads.record()
        requested = self._parse(req, upload_id, record)
        s3_etag = mpu.multipart_etag([etag for _, etag, _ in requested])
        completion, done = completions.start(self, req, upload_id, record,
                                             s3_etag, reads)
        if done:
            return sse.add_header(HTTPOk(body=complete_result(req, s3_etag),
                                         content_type='application/xml'))
        self._check(completion, requested, object_size)
        completion.check_conditions(conditions)
        completion.find_superseded()
        return self._answer(req, completion, s3_etag)

    def _answer(self, req, completion, s3_etag):
        resp = sse.add_header(HTTPOk(content_type='application/xml'))
        body_iter = completion.body_iter(
            resp, lambda decl: complete_result(req, s3_etag, decl,
                                               completion.checksum))
        # Run until the first chunk so that an early error still sets the
        # status line (see Completion.body_iter).
        first = next(body_iter)
        resp.app_iter = _prepend(first, body_iter)
        return resp

    def _check(self, completion, requested, object_size):
        completion.check_parts(requested)
        total = sum(part['size'] for part in completion.parts)
        if object_size is not None and object_size != total:
            raise InvalidRequest(
                'The provided x-amz-mp-object-size (%d) does not match the '
                'size of the listed parts (%d)' % (object_size, total))

    def _check_clock(self, marker_resp):
        # A marker from the future (clock skew between proxies) would
        # survive our DELETE of it: refuse rather than leave it behind.
        delta = float(Timestamp(marker_resp.sw_headers.get(
            'X-Backend-Timestamp', '0'))) - float(NormalTimestamp.now())
        if delta >= 0:
            self.logger.error('Unable to complete multipart upload: '
                              'marker is %0.5fs newer than now', delta)
            raise ServiceUnavailable(reason='mpu_clock_skew')


def finished(req, app, upload_id, s3_etag):
    """
    The answer to a Complete of an upload that is no longer in progress: a
    retry of a Complete that finished answers as the first did.

    :raises NoSuchUpload: the upload was aborted, or completed with other
        parts.
    """
    done = completed_manifest(req, app, upload_id)
    if done is not None and \
            done.sysmeta_headers.get(S3_ETAG_SYSMETA) == s3_etag:
        return sse.add_header(HTTPOk(body=complete_result(req, s3_etag),
                                     content_type='application/xml'))
    raise NoSuchUpload(upload_id=upload_id)


def mp_object_size(req):
    """The ``x-amz-mp-object-size`` header, validated, or None."""
    value = req.headers.get('x-amz-mp-object-size')
    if value is None:
        return None
    try:
        size = int(value)
        if size < 0 or str(size) != value.strip():
            raise ValueError
    except ValueError:
        raise InvalidArgument('x-amz-mp-object-size', value,
                              'x-amz-mp-object-size must be a non-negative '
                              'integer')
    return size


def _prepend(first, rest):
    yield first
    yield from rest
