"""The work of CompleteMultipartUpload, once the request is parsed.

0. Fence the upload against UploadParts in flight (see
   :mod:`swift3_multipart.controllers.fence`).
1. Check the listed parts against the segments container listing; HEAD
   only a part the listing lacks or disagrees on (listings lag writes).
2. Check sizes (``EntityTooSmall``) before anything is written.
3. Write the SLO manifest: below SLO when possible (see
   :mod:`swift3_multipart.manifest`), else through SLO with heartbeats.
4. Remove the upload marker.

https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
"""

import json
import time
from datetime import datetime, timezone

from swift.common.middleware.s3api.s3response import ErrorResponse, \
    EntityTooSmall, InvalidPart, InvalidRequest, NoSuchKey, \
    PreconditionFailed, ServiceUnavailable, AccessDenied, BadDigest, \
    OperationAborted, InvalidPartOrder
from swift.common.http import HTTP_ACCEPTED
from swift.common.request_helpers import get_container_update_override_key
from swift.common.swob import str_to_wsgi, wsgi_to_str, normalize_etag

from swift3_multipart import checksums, manifest, metrics, mpu, xml
from swift3_multipart.controllers import sse
from swift3_multipart.controllers.cleanup import delete_objects, \
    superseded_parts
from swift3_multipart.controllers.conditions import \
    ConditionalRequestConflict, manifest_headers, \
    check as conditions_check
from swift3_multipart.controllers.fence import put_fence, remove_fence, \
    fence_holder, wait_for_complete, settle
from swift3_multipart.controllers.common import segments_container, \
    key_of, list_parts, declared_checksum, checksum_sysmeta, \
    UPLOAD_ID_SYSMETA, S3_ETAG_SYSMETA, CHECKSUM_TYPE_SYSMETA
from swift3_multipart.controllers.uploads import HAS_CONTENT_TYPE_SYSMETA, \
    CONTENT_TYPE_SYSMETA

# Headers of CreateMultipartUpload that go on the completed object.
CARRIED_HEADERS = ('content-encoding', 'content-language',
                   'content-disposition', 'expires', 'cache-control')
# Errors SLO reports for a segment that is not the part we validated.
SEGMENT_ERRORS = ('404 Not Found', 'Etag Mismatch', 'Size Mismatch')
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def object_headers(marker_resp):
    """Headers of the completed object, from what Create recorded."""
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


class Completion(object):
    """One CompleteMultipartUpload of an upload whose marker exists."""
    # where the manifest records its upload
    upload_id_sysmeta = UPLOAD_ID_SYSMETA

    def __init__(self, controller, req, upload_id, marker_resp, s3_etag):
        self.app = controller.app
        self.conf = controller.conf
        self.logger = controller.logger
        self.heartbeat_grace = controller.heartbeat_grace
        self.req = req
        self.upload_id = upload_id
        self.marker_resp = marker_resp
        self.s3_etag = s3_etag
        self.container = segments_container(req)
        # of the fence we raised
        self.token = None
        self.parts = None
        self.unlisted = []
        self.superseded = []
        # {part name: bytes} of the parts to free, where read
        self.sizes = {}
        self.conditions = {}
        # (algorithm, type, value) of the object, if Create declared one
        self.checksum = None
        # of the new object, where the bucket is versioned
        self.version_id = None
        # False if every object server refused the manifest (202)
        self.manifest_taken = True

    def fence(self):
        """
        Hold the upload's fence (see
        :mod:`swift3_multipart.controllers.fence`): from then on no
        UploadPart commits, and no other Complete or Abort starts.

        :returns: False if the upload finished meanwhile (another Complete
            removed the marker).
        :raises OperationAborted: other Completes kept the fence.
        """
        for _ in range(3):
            if not wait_for_complete(self.req, self.app, self.upload_id,
                                     s3_etag=self.s3_etag):
                return False
            self.token = put_fence(self.req, self.app, self.upload_id,
                                   self.s3_etag)
            settle(self.conf)
            holder = fence_holder(self.req, self.app, self.upload_id)
            if holder is not None and holder[0] == self.token:
                return True
        raise OperationAborted()

    def unfence(self):
        """After a failure: UploadParts, Aborts and Completes may go on."""
        if self.token:
            remove_fence(self.req, self.app, self.upload_id, self.token,
                         self.logger)

    def check_parts(self, requested):
        """
        :param requested: [(part number, hex etag, {algorithm: base64})]
            from the request.
        :raises InvalidRequest: the upload declared a checksum algorithm and
            a part comes without its checksum.
        :raises InvalidPart: a part is missing or has another ETag (or
            checksum).
        :raises EntityTooSmall: a part but the last is below the minimum.
        """
        algorithm, checksum_type = declared_checksum(self.marker_resp)
        if algorithm:
            self._check_checksum_request(requested, checksum_type)
        stored = self._stored_parts()
        self.unlisted = self._unlisted(stored, requested)
        parts = []
        for number, etag, sums in requested:
            if algorithm and not sums.get(algorithm):
                raise InvalidRequest(
                    'The upload was created using a %s checksum. The '
                    'complete request must include the checksum for each '
                    'part. It was missing for part %d in the request.' % (
                        algorithm.lower(), number))
            part = stored.get(number)
            name = self._part_name(number, part)
            if part is None or part['etag'] != etag:
                part = self._head_part(name)
            if part is None or part['etag'] != etag or (
                    algorithm and part['checksum'] != (
                        algorithm, sums[algorithm])):
                raise InvalidPart(upload_id=self.upload_id,
                                  part_number=number, e_tag=etag)
            part = dict(part, path='/%s/%s' % (
                wsgi_to_str(self.container), name))
            parts.append(part)
        too_small = mpu.first_too_small(
            [(p['part_number'], p['size']) for p in parts],
            self.conf.min_segment_size)
        if too_small:
            number, size = too_small
            raise EntityTooSmall(
                proposed_size=size,
                min_size_allowed=self.conf.min_segment_size,
                part_number=number, e_tag=[
                    etag for n, etag, _ in requested if n == number][0])
        self.parts = parts
        self._object_checksum()

    def _stored_parts(self):
        """{part number: part} as the segments container lists them."""
        return list_parts(self.req, self.app, self.upload_id)

    def _unlisted(self, stored, requested):
        """The names of the stored parts that the request leaves out."""
        return [
            mpu.part_name(key_of(self.req), self.upload_id, number)
            for number in sorted(set(stored) - {n for n, _, _ in requested})]

    def _part_name(self, number, part):
        """The object name of part ``number`` (``part`` as listed, or
        None)."""
        return mpu.part_name(key_of(self.req), self.upload_id, number)

    def find_superseded(self):
        """Read the manifest this Complete replaces while it is still
        there."""
        self.superseded = superseded_parts(self.req, self.app,
                                           self.upload_id, self.sizes)

    def _check_checksum_request(self, requested, checksum_type):
        """
        What AWS asks of a Complete of an upload with a checksum algorithm:
        part numbers 1, 2, ... without gaps (InvalidPartOrder), and the
        checksum type, if sent, Create's (BadDigest).

        https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompletedPart.html
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
        """
        numbers = [number for number, _, _ in requested]
        if numbers != list(range(1, len(numbers) + 1)):
            raise InvalidPartOrder(upload_id=self.upload_id)
        sent = self.req.headers.get('x-amz-checksum-type')
        if sent is not None and sent.strip().upper() != checksum_type:
            raise BadDigest('The checksum type you specified did not match '
                            'the checksum type of the upload (%s).'
                            % checksum_type)

    def _object_checksum(self):
        """
        The object's checksum from its parts', as Create declared it; a
        whole-object checksum header on the Complete must agree.

        :raises BadDigest: it does not.
        """
        algorithm, checksum_type = declared_checksum(self.marker_resp)
        if not algorithm:
            return
        value = checksums.object_checksum(
            algorithm, checksum_type,
            [(p['checksum'][1], p['size']) for p in self.parts])
        sent = self.req.headers.get(checksums.header_name(algorithm))
        if sent is not None and sent.strip() != value:
            raise BadDigest(
                'The %s you specified did not match the calculated '
                'checksum.' % checksums.header_name(algorithm))
        self.checksum = (algorithm, checksum_type, value)

    def _head_part(self, name):
        try:
            resp = self.req.get_response(self.app, 'HEAD', self.container,
                                         str_to_wsgi(name))
        except NoSuchKey:
            return None
        checksum = None
        for algorithm in checksums.ALGORITHMS:
            value = resp.sysmeta_headers.get(checksum_sysmeta(algorithm))
            if value:
                checksum = (algorithm, value)
        return {
            'part_number': int(name.rsplit('/', 1)[1]),
            'checksum': checksum,
            'etag': normalize_etag(resp.headers.get('etag')),
            'size': int(resp.headers['Content-Length']),
            'content_type': resp.content_type,
            # as SLO: "shouldn't happen", but then now
            'slo_last_modified': (resp.last_modified or datetime.now(
                timezone.utc)).strftime(manifest.SLO_TIME_FORMAT),
        }

    def check_conditions(self, conditions):
        """
        Check If-Match / If-None-Match against the key's current object
        (see :mod:`swift3_multipart.controllers.conditions`).

        :raises NoSuchKey: If-Match and no object.
        :raises PreconditionFailed: a condition does not hold.
        """
        self.conditions = conditions
        if conditions:
            conditions_check(conditions, self._current_etag(),
                             key_of(self.req))

    def _current_etag(self):
        """The S3 ETag of the key's current object, or None."""
        try:
            resp = self.req.get_response(self.app, 'HEAD',
                                         self.req.container_name,
                                         self.req.object_name)
        except NoSuchKey:
            return None
        return normalize_etag(resp.etag)

    def headers(self):
        """Headers of the manifest PUT, either way it is written."""
        headers = object_headers(self.marker_resp)
        headers.update({
            self.upload_id_sysmeta: self.upload_id,
            S3_ETAG_SYSMETA: self.s3_etag,
        })
        headers.update(manifest_headers(self.conditions))
        if self.checksum:
            algorithm, checksum_type, value = self.checksum
            headers[checksum_sysmeta(algorithm)] = value
            headers[CHECKSUM_TYPE_SYSMETA] = checksum_type
        return headers

    def body_iter(self, resp, result_body):
        """
        Write the manifest, then remove the marker. Until the first chunk
        goes out an error becomes the response's status; after it (we sent
        200 and whitespace to keep the client waiting) the error document is
        the body, as AWS does.
        """
        start = time.time()
        sent = False
        try:
            if not self._put_below_slo():
                for _ in self._put_via_slo():
                    if time.time() - start >= self.heartbeat_grace:
                        if not sent:
                            sent = True
                            # the declaration must open the document
                            yield XML_DECLARATION
                        yield b' '
            self._finish()
            self._free_parts()
            self.logger.increment('mpu.complete.success')
            metrics.parts_completed(self.logger, len(self.parts or ()))
            if self.version_id and not sent:
                resp.headers['x-amz-version-id'] = self.version_id
            yield (b'\n' if sent else b'') + result_body(not sent)
        except ErrorResponse as err:
            self.logger.increment('mpu.complete.error')
            self.unfence()
            err.xml_declaration = not sent
            if sent:
                yield b'\n'
            else:
                resp.status = err.status
                # (an error writes nothing)
                resp.headers.pop(sse.HEADER, None)
            env = {k: self.req.environ[k] for k in ('swift.trans_id',)
                   if k in self.req.environ}
            yield b''.join(err(env, lambda *a: None))

    def _finish(self):
        """Once the manifest is written: the upload is no longer in
        progress."""
        try:
            self.req.get_response(
                self.app, 'DELETE', self.container, str_to_wsgi(
                    mpu.marker_name(key_of(self.req), self.upload_id)))
        except NoSuchKey:
            pass  # a concurrent Complete removed it

    def _free_parts(self):
        """
        Delete the parts the part list left out and the segments of the
        object this Complete replaced. The object is complete already: a
        failure here leaves orphans for the audit, not an error.
        """
        fence = mpu.fence_name(key_of(self.req), self.upload_id)
        names = [fence] + [name for name in self.unlisted + self.superseded
                           if name != fence]
        try:
            delete_objects(self.req, self.app, self.container, names,
                           self.conf.segment_delete_concurrency,
                           logger=self.logger, sizes=self.sizes)
        except ErrorResponse as err:
            self.logger.warning('upload %s: could not free %d parts: %s',
                                self.upload_id, len(names), err.summary)

    def _put_below_slo(self):
        """
        Write the manifest as SLO would, straight to the app below SLO.

        :returns: False if this cannot be done here (then SLO must).
        :raises AccessDenied: the caller may not write the object.
        """
        below = self.conf.get('slo_below')
        if below is None or self.conf.get('complete_via_slo'):
            return False
        entries = [manifest.segment_entry(p['path'], p) for p in self.parts]
        headers = self.headers()
        body, slo_headers = manifest.build(
            entries, headers.pop('Content-Type', None), key_of(self.req),
            self.s3_etag)
        if len(body) > self.conf.slo_max_manifest_size:
            return False
        headers.update(slo_headers)
        info = self.req.get_container_info(self.app)
        allowed = manifest.may_put(
            self.marker_resp.environ, '/v1/%s/%s/%s' % (
                self.req.account, self.req.container_name,
                self.req.object_name), info.get('write_acl'))
        if allowed is None:
            return False
        if not allowed:
            raise AccessDenied()
        # the swift_bytes parameter is ours to set, as it is SLO's
        self.req.environ['swift.content_type_overridden'] = True
        try:
            put_resp = self.req.get_response(below, 'PUT', body=body,
                                             headers=headers)
        except PreconditionFailed:
            # an object came since check_conditions found none
            raise ConditionalRequestConflict()
        finally:
            del self.req.environ['swift.content_type_overridden']
        self.version_id = put_resp.headers.get('x-amz-version-id')
        self.manifest_taken = put_resp.status_int != HTTP_ACCEPTED
        return True

    def _put_via_slo(self):
        """
        PUT ?multipart-manifest=put with heartbeats, as stock s3api does;
        yields at each heartbeat.
        """
        seg_manifest = [{'path': p['path'], 'etag': p['etag'],
                         'size_bytes': p['size']} for p in self.parts]
        headers = self.headers()
        headers.update({
            'Accept': 'application/json',
            # SLO fills in the listing's hash; we add the S3 ETag to it
            get_container_update_override_key('etag'):
                '; s3_etag=%s' % self.s3_etag,
        })
        put_resp = self.req.get_response(
            self.app, 'PUT', body=json.dumps(seg_manifest),
            query={'multipart-manifest': 'put', 'heartbeat': 'on'},
            headers=headers)
        if put_resp.status_int != 202:
            return
        # heartbeats (whitespace), then SLO's result document
        result = []
        for chunk in put_resp.app_iter:
            if chunk.strip():
                result.append(chunk)
            else:
                yield
        self._raise_for_slo_result(b''.join(result))

    def _raise_for_slo_result(self, body):
        """Turn SLO's heartbeat result document into our S3 errors."""
        try:
            result = json.loads(body)
            status = result['Response Status']
            errors = result.get('Errors') or []
        except (ValueError, KeyError, TypeError):
            self.logger.error('unexpected SLO response %r', body[:200])
            raise ServiceUnavailable()
        if status.startswith('2'):
            # 202: every object server held the manifest's timestamp
            self.manifest_taken = not status.startswith('202')
            return
        if status.startswith('412'):
            # an object came since check_conditions found none
            raise ConditionalRequestConflict()
        if any(err in SEGMENT_ERRORS for _, err in errors):
            # a part changed between our check and SLO's
            raise InvalidPart(upload_id=self.upload_id)
        self.logger.warning('upload %s: SLO answered %s %r', self.upload_id,
                            status, errors)
        if status.startswith('5'):
            raise ServiceUnavailable()
        raise InvalidRequest(msg='\n'.join(
            ': '.join(err) for err in errors) or status)


def location(req):
    """
    The Location of the completed object: the URL the client used. boto
    with SigV4 sends the port twice in Host ('host:8080:8080'); keep one,
    as stock s3api does, so that the document stays valid.
    """
    host = req.environ.get('HTTP_HOST') or '%s:%s' % (
        req.environ['SERVER_NAME'], req.environ['SERVER_PORT'])
    if host.startswith('['):    # an IPv6 literal
        name, _, ports = host.partition(']')
        name += ']'
    else:
        name, _, ports = host.partition(':')
    port = ports.lstrip(':').split(':', 1)[0]
    scheme = req.environ.get('wsgi.url_scheme', 'http')
    if (scheme, port) in (('http', '80'), ('https', '443')):
        port = ''
    return '%s://%s%s%s' % (scheme, name, ':' + port if port else '',
                            req.path)


def complete_result(req, s3_etag, xml_declaration=True, checksum=None):
    """The CompleteMultipartUploadResult document."""
    return xml.complete_result(
        location(req), req.container_name, key_of(req), s3_etag,
        xml_declaration, checksum)
