"""ListParts (GET), AbortMultipartUpload (DELETE) and
CompleteMultipartUpload (POST) of ``?uploadId=ID``."""

import json
import time

from swift.common.middleware.s3api.acl_handlers import UploadAclHandler
from swift.common.middleware.s3api.controllers.base import Controller, \
    object_operation, check_container_existence
from swift.common.middleware.s3api.s3response import HTTPOk, \
    HTTPNoContent, ErrorResponse, EntityTooSmall, InvalidPart, \
    InvalidRequest, NoSuchKey, NoSuchUpload, PreconditionFailed, \
    S3NotImplemented, ServiceUnavailable
from swift.common.request_helpers import get_container_update_override_key
from swift.common.swob import str_to_wsgi, wsgi_to_str, normalize_etag
from swift.common.utils import public
from swift.common.utils.timestamp import Timestamp, NormalTimestamp

from swift3_multipart import mpu, xml
from swift3_multipart.controllers.common import segments_container, \
    key_of, head_marker, completed_manifest, initiator_of, list_parts, \
    UPLOAD_ID_SYSMETA, S3_ETAG_SYSMETA
from swift3_multipart.controllers.uploads import encoding_type_param, \
    HAS_CONTENT_TYPE_SYSMETA, CONTENT_TYPE_SYSMETA

DEFAULT_MAX_PARTS_LISTING = 1000
# 10,000 parts of ~120 bytes of XML each fit twice over
MAX_COMPLETE_UPLOAD_BODY_SIZE = 2 * 1024 * 1024
# Headers of CreateMultipartUpload that go on the completed object.
CARRIED_HEADERS = ('content-encoding', 'content-language',
                   'content-disposition', 'expires', 'cache-control')
# Errors SLO reports for a segment that is not the part we validated.
SEGMENT_ERRORS = ('404 Not Found', 'Etag Mismatch', 'Size Mismatch')


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
        upload_id = req.params['uploadId']
        max_parts = req.get_validated_param(
            'max-parts', DEFAULT_MAX_PARTS_LISTING,
            self.conf.max_parts_listing)
        part_number_marker = req.get_validated_param('part-number-marker', 0)
        marker_resp = head_marker(req, self.app, upload_id)

        parts = list_parts(req, self.app, upload_id)
        numbers = sorted(n for n in parts if n > part_number_marker)
        page = [parts[n] for n in numbers[:max_parts]]
        body = xml.list_parts_result(
            req.container_name, key_of(req), upload_id,
            initiator_of(marker_resp, req), page, part_number_marker,
            page[-1]['part_number'] if page else 0, max_parts,
            len(numbers) > max_parts, encoding_type)
        return HTTPOk(body=body, content_type='application/xml')

    @public
    @object_operation
    @check_container_existence
    def DELETE(self, req):
        """
        AbortMultipartUpload: delete the parts, then the marker, so that a
        failed Abort can be repeated.

        https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html
        """
        upload_id = req.params['uploadId']
        head_marker(req, self.app, upload_id)
        container = segments_container(req)
        marker = str_to_wsgi(mpu.marker_name(key_of(req), upload_id))
        if completed_manifest(req, self.app, upload_id) is not None:
            # A Complete wrote the manifest but not yet removed the marker:
            # the parts are a live object's segments. The upload is done.
            self._delete(req, container, marker)
            raise NoSuchUpload(upload_id=upload_id)
        for number in list_parts(req, self.app, upload_id):
            self._delete(req, container, str_to_wsgi(
                mpu.part_name(key_of(req), upload_id, number)))
        self._delete(req, container, marker)
        self.logger.increment('mpu.abort')
        return HTTPNoContent()

    def _delete(self, req, container, obj):
        try:
            req.get_response(self.app, 'DELETE', container, obj)
        except NoSuchKey:
            pass  # gone already: what we wanted

    @public
    @object_operation
    @check_container_existence
    def POST(self, req):
        """
        CompleteMultipartUpload.

        https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
        """
        upload_id = req.params['uploadId']
        if req.headers.get('If-None-Match', '*') != '*' or any(
                h in req.headers for h in (
                    'If-Match', 'If-Modified-Since', 'If-Unmodified-Since')):
            raise S3NotImplemented('Conditional uploads are not supported.')
        try:
            marker_resp = head_marker(req, self.app, upload_id)
        except NoSuchUpload:
            marker_resp = None

        body = req.xml(MAX_COMPLETE_UPLOAD_BODY_SIZE)
        if body and req.check_md5(body):
            # the Content-MD5 is the body's, not the object's
            req.headers.pop('Etag', None)
        requested = xml.parse_complete(
            body, self.conf.max_upload_part_num, upload_id, self.logger)
        s3_etag = mpu.multipart_etag([etag for _, etag in requested])

        if marker_resp is None:
            # A retry of a Complete that finished answers as the first did.
            done = completed_manifest(req, self.app, upload_id)
            if done is not None and \
                    done.sysmeta_headers.get(S3_ETAG_SYSMETA) == s3_etag:
                return HTTPOk(body=self._result(req, s3_etag),
                              content_type='application/xml')
            raise NoSuchUpload(upload_id=upload_id)
        self._check_clock(marker_resp)

        manifest = self._manifest(req, upload_id, requested)
        headers = self._object_headers(marker_resp)
        headers.update({
            'Accept': 'application/json',
            UPLOAD_ID_SYSMETA: upload_id,
            S3_ETAG_SYSMETA: s3_etag,
            # SLO fills in the listing's hash; we add the S3 ETag to it
            get_container_update_override_key('etag'):
                '; s3_etag=%s' % s3_etag,
        })
        resp = HTTPOk(content_type='application/xml')
        body_iter = self._complete_iter(
            req, resp, upload_id, s3_etag, manifest, headers)
        # Run until the first chunk so that an early error still sets the
        # status line (see _complete_iter).
        first = next(body_iter)
        resp.app_iter = _prepend(first, body_iter)
        return resp

    def _check_clock(self, marker_resp):
        # A marker from the future (clock skew between proxies) would
        # survive our DELETE of it: refuse rather than leave it behind.
        delta = float(Timestamp(marker_resp.sw_headers.get(
            'X-Backend-Timestamp', '0'))) - float(NormalTimestamp.now())
        if delta >= 0:
            self.logger.error('Unable to complete multipart upload: '
                              'marker is %0.5fs newer than now', delta)
            raise ServiceUnavailable(reason='mpu_clock_skew')

    def _manifest(self, req, upload_id, requested):
        """
        Check the requested parts against the stored ones and build the SLO
        manifest. The listing vouches for most parts; a part the listing
        lacks or disagrees on (listings lag behind writes) is HEADed.
        """
        stored = list_parts(req, self.app, upload_id)
        container = segments_container(req)
        manifest = []
        for number, etag in requested:
            name = mpu.part_name(key_of(req), upload_id, number)
            part = stored.get(number)
            if part is None or part['etag'] != etag:
                part = self._head_part(req, container, name)
            if part is None or part['etag'] != etag:
                raise InvalidPart(upload_id=upload_id, part_number=number,
                                  e_tag=etag)
            manifest.append({
                'path': '/%s/%s' % (wsgi_to_str(container), name),
                'etag': etag, 'size_bytes': part['size']})
        too_small = mpu.first_too_small(
            [(n, seg['size_bytes']) for (n, _), seg in zip(requested,
                                                           manifest)],
            self.conf.min_segment_size)
        if too_small:
            number, size = too_small
            raise EntityTooSmall(
                proposed_size=size,
                min_size_allowed=self.conf.min_segment_size,
                part_number=number, e_tag=dict(requested)[number])
        return manifest

    def _head_part(self, req, container, name):
        try:
            resp = req.get_response(self.app, 'HEAD', container,
                                    str_to_wsgi(name))
        except NoSuchKey:
            return None
        return {'etag': normalize_etag(resp.headers.get('etag')),
                'size': int(resp.headers['Content-Length'])}

    @staticmethod
    def _object_headers(marker_resp):
        """Headers for the manifest PUT, from what Create recorded."""
        headers = {}
        for key, val in marker_resp.headers.items():
            lower = key.lower()
            if lower.startswith('x-amz-meta-'):
                headers['X-Object-Meta-' + key[11:]] = val
            elif lower in CARRIED_HEADERS:
                headers[key] = val
        has_type = marker_resp.sysmeta_headers.get(HAS_CONTENT_TYPE_SYSMETA)
        if has_type == 'yes':
            headers['Content-Type'] = marker_resp.sysmeta_headers.get(
                CONTENT_TYPE_SYSMETA)
        elif has_type is None:
            # a marker of an old swift3 kept the type itself
            headers['Content-Type'] = marker_resp.headers.get('Content-Type')
        # else no type was given: Swift guesses one from the name
        return {k: v for k, v in headers.items() if v is not None}

    def _result(self, req, s3_etag, xml_declaration=True):
        return xml.complete_result(
            req.host_url + req.path, req.container_name, key_of(req),
            s3_etag, xml_declaration)

    def _complete_iter(self, req, resp, upload_id, s3_etag, manifest,
                       headers):
        """
        Write the manifest through SLO with heartbeats, then remove the
        marker. Until the first chunk goes out an error becomes the
        response's status; after it (we sent 200 and whitespace to keep the
        client waiting) the error document is the body, as AWS does:
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
        """
        start = time.time()
        sent = False
        try:
            put_resp = req.get_response(
                self.app, 'PUT', body=json.dumps(manifest),
                query={'multipart-manifest': 'put', 'heartbeat': 'on'},
                headers=headers)
            if put_resp.status_int == 202:
                # heartbeats (whitespace), then SLO's result document
                result = []
                for chunk in put_resp.app_iter:
                    if chunk.strip():
                        result.append(chunk)
                    elif time.time() - start >= self.heartbeat_grace:
                        if not sent:
                            sent = True
                            # the declaration must open the document
                            yield b'<?xml version="1.0" encoding="UTF-8"?>\n'
                        yield b' '
                self._raise_for_slo_result(b''.join(result), upload_id)
            try:
                req.get_response(self.app, 'DELETE', segments_container(req),
                                 str_to_wsgi(mpu.marker_name(
                                     key_of(req), upload_id)))
            except NoSuchKey:
                pass  # a concurrent Complete removed it
            self.logger.increment('mpu.complete.success')
            yield (b'\n' if sent else b'') + self._result(
                req, s3_etag, xml_declaration=not sent)
        except ErrorResponse as err:
            self.logger.increment('mpu.complete.error')
            if not sent:
                resp.status = err.status
                err.xml_declaration = True
            else:
                err.xml_declaration = False
                yield b'\n'
            env = {k: req.environ[k] for k in ('swift.trans_id',)
                   if k in req.environ}
            yield b''.join(err(env, lambda *a: None))

    def _raise_for_slo_result(self, body, upload_id):
        """Turn SLO's heartbeat result document into our S3 errors."""
        try:
            result = json.loads(body)
            status = result['Response Status']
            errors = result.get('Errors') or []
        except (ValueError, KeyError, TypeError):
            self.logger.error('unexpected SLO response %r', body[:200])
            raise ServiceUnavailable()
        if status.startswith('2'):
            return
        if status.startswith('412'):
            raise PreconditionFailed()
        if any(err in SEGMENT_ERRORS for _, err in errors):
            # a part changed between our check and SLO's
            raise InvalidPart(upload_id=upload_id)
        self.logger.warning('upload %s: SLO answered %s %r', upload_id,
                            status, errors)
        if status.startswith('5'):
            raise ServiceUnavailable()
        raise InvalidRequest(msg='\n'.join(
            ': '.join(err) for err in errors) or status)


def _prepend(first, rest):
    yield first
    yield from rest
