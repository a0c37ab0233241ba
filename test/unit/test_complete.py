"""CompleteMultipartUpload: POST /bucket/key?uploadId=ID"""

import hashlib
import json
from unittest import mock

from swift.common.middleware.s3api.etree import fromstring

from swift3_multipart import mpu
from swift3_multipart.controllers.upload import UploadController
from test.unit.helpers import s3_request
from test.unit.base import MultipartTestCase, AUTH_CALLS, MARKER, OBJ, \
    FENCE, PREVIOUS_OBJECT_CALLS, UPLOAD_ID, BUCKET, SEGMENTS, listing_page, \
    part_row, part_path

MIB = 1024 * 1024
ETAGS = [hashlib.md5(b'part%d' % n).hexdigest() for n in range(4)]
MANIFEST_PUT = OBJ + '?heartbeat=on&multipart-manifest=put'
LISTING_END = listing_page([], 'obj/%s/2' % UPLOAD_ID)


def complete_xml(parts):
    return ('<CompleteMultipartUpload>%s</CompleteMultipartUpload>' % ''.join(
        '<Part><PartNumber>%d</PartNumber><ETag>"%s"</ETag></Part>'
        % (n, etag) for n, etag in parts)).encode('ascii')


def slo_result(status='201 Created', errors=()):
    # SLO's heartbeat: whitespace chunks, then its result document
    return (b' ', b' ', json.dumps({'Response Status': status,
                                    'Errors': list(errors)}).encode('ascii'))


class TestComplete(MultipartTestCase):
    def setUp(self):
        super().setUp()
        self.rows = [part_row(1, ETAGS[1], 5 * MIB),
                     part_row(2, ETAGS[2], 10)]
        self.swift.register_listing(*listing_page(self.rows))
        self.swift.register_listing(*LISTING_END)

    def complete(self, parts, headers=None):
        return self.call('POST', '/bucket/obj?uploadId=%s' % UPLOAD_ID,
                         body=complete_xml(parts), headers=headers)

    def test_complete(self):
        self.register_marker({
            'X-Object-Sysmeta-S3api-Has-Content-Type': 'yes',
            'X-Object-Sysmeta-S3api-Content-Type': 'text/plain',
            'X-Object-Meta-Color': 'blue', 'Cache-Control': 'no-cache'})
        self.swift.register('PUT', MANIFEST_PUT, 202, {}, slo_result())
        self.swift.register('DELETE', MARKER, 204)
        resp = self.complete([(1, ETAGS[1]), (2, ETAGS[2])])
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual(AUTH_CALLS + [
            ('HEAD', MARKER),                     # in progress
            ('GET', listing_page([])[0]),         # the parts, as listed:
            ('GET', LISTING_END[0]),              # can this succeed?
            ('HEAD', FENCE),                      # no other Complete runs
            ('PUT', FENCE),                       # nor starts, nor any
            ('HEAD', FENCE),                      # UploadPart from now on
            ('GET', listing_page([])[0]),         # the parts again, for
            ('GET', LISTING_END[0]),              # the manifest
        ] + PREVIOUS_OBJECT_CALLS + [             # nothing to supersede
            ('HEAD', MARKER),                     # no Abort came first
            ('PUT', MANIFEST_PUT),                # the SLO manifest
            ('DELETE', MARKER),                   # done
            ('DELETE', FENCE),
        ], self.swift.calls)
        s3_etag = mpu.multipart_etag(ETAGS[1:3])
        elem = fromstring(resp.body, 'CompleteMultipartUploadResult')
        self.assertEqual('"%s"' % s3_etag, elem.find('./ETag').text)
        self.assertEqual('bucket', elem.find('./Bucket').text)
        self.assertEqual('obj', elem.find('./Key').text)
        self.assertEqual('http://localhost/bucket/obj',
                         elem.find('./Location').text)
        headers, body = self.sent('PUT', MANIFEST_PUT)
        manifest = json.loads(body)
        self.assertEqual([
            {'path': '/bucket+segments/obj/%s/1' % UPLOAD_ID,
             'etag': ETAGS[1], 'size_bytes': 5 * MIB},
            {'path': '/bucket+segments/obj/%s/2' % UPLOAD_ID,
             'etag': ETAGS[2], 'size_bytes': 10},
        ], manifest)
        self.assertEqual(UPLOAD_ID,
                         headers['X-Object-Sysmeta-S3api-Upload-Id'])
        self.assertEqual(s3_etag, headers['X-Object-Sysmeta-S3api-Etag'])
        self.assertEqual('; s3_etag=%s' % s3_etag, headers[
            'X-Object-Sysmeta-Container-Update-Override-Etag'])
        self.assertEqual('text/plain', headers['Content-Type'])
        self.assertEqual('blue', headers['X-Object-Meta-Color'])
        self.assertEqual('no-cache', headers['Cache-Control'])

    def test_part_missing_from_listing_is_headed(self):
        self.register_marker()
        self.swift.register('DELETE', part_path(2), 204)
        self.swift.register('HEAD', part_path(3), 200, {
            'Etag': ETAGS[3], 'Content-Length': '7'})
        self.swift.register('PUT', MANIFEST_PUT, 202, {}, slo_result())
        self.swift.register('DELETE', MARKER, 204)
        resp = self.complete([(1, ETAGS[1]), (3, ETAGS[3])])
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual(AUTH_CALLS + [
            ('HEAD', MARKER),
            ('GET', listing_page([])[0]),
            ('GET', LISTING_END[0]),
            ('HEAD', part_path(3)),     # the listing has not caught up
            ('HEAD', FENCE), ('PUT', FENCE), ('HEAD', FENCE),
            ('GET', listing_page([])[0]),
            ('GET', LISTING_END[0]),
            ('HEAD', part_path(3)),     # nor now, behind the fence
        ] + PREVIOUS_OBJECT_CALLS + [
            ('HEAD', MARKER),
            ('PUT', MANIFEST_PUT),
            ('DELETE', MARKER),
            ('DELETE', FENCE),
            ('DELETE', part_path(2)),   # uploaded, left out: freed
        ], self.swift.calls)
        self.assertEqual(7, json.loads(self.sent('PUT', MANIFEST_PUT)[1])[1][
            'size_bytes'])

    def test_invalid_part(self):
        self.register_marker()
        self.swift.register('HEAD', part_path(2), 200, {
            'Etag': ETAGS[2], 'Content-Length': '10'})
        self.swift.register('HEAD', part_path(3), 404)
        for parts in ([(1, ETAGS[1]), (2, ETAGS[0])],    # wrong ETag
                      [(1, ETAGS[1]), (3, ETAGS[3])]):   # never uploaded
            resp = self.complete(parts)
            self.assertS3Error(resp, 400, 'InvalidPart')
        self.assertNotIn('PUT', self.methods_besides_fence())
        self.assertNotIn('DELETE', self.methods_besides_fence())

    def test_invalid_part_order(self):
        self.register_marker()
        for parts in ([(2, ETAGS[2]), (1, ETAGS[1])],
                      [(1, ETAGS[1]), (1, ETAGS[1])]):
            resp = self.complete(parts)
            self.assertS3Error(resp, 400, 'InvalidPartOrder')
        self.assertNotIn('GET', self.methods_besides_fence())

    def test_entity_too_small(self):
        self.register_marker()
        self.swift.register('HEAD', part_path(3), 200, {
            'Etag': ETAGS[3], 'Content-Length': '7'})
        resp = self.complete([(2, ETAGS[2]), (3, ETAGS[3])])
        self.assertS3Error(resp, 400, 'EntityTooSmall')
        elem = fromstring(resp.body, 'Error')
        self.assertEqual('10', elem.find('./ProposedSize').text)
        self.assertEqual('5242880', elem.find('./MinSizeAllowed').text)
        self.assertEqual('2', elem.find('./PartNumber').text)
        self.assertNotIn('PUT', self.methods_besides_fence())

    def test_min_segment_size_from_config(self):
        self.app.conf.min_segment_size = 10
        self.register_marker()
        self.swift.register('DELETE', part_path(1), 204)   # left out
        self.swift.register('PUT', MANIFEST_PUT, 202, {}, slo_result())
        self.swift.register('DELETE', MARKER, 204)
        self.swift.register('HEAD', part_path(3), 200, {
            'Etag': ETAGS[3], 'Content-Length': '7'})
        resp = self.complete([(2, ETAGS[2]), (3, ETAGS[3])])
        self.assertEqual(200, resp.status_int, resp.body)

    def test_malformed_xml(self):
        self.register_marker()
        for body in (b'not xml', b'<CompleteMultipartUpload/>',
                     b'<CompleteMultipartUpload><Part><PartNumber>1'
                     b'</PartNumber></Part></CompleteMultipartUpload>',
                     b'<Other><Part><PartNumber>1</PartNumber><ETag>x</ETag>'
                     b'</Part></Other>',
                     b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                     b'<CompleteMultipartUpload><Part><PartNumber>1'
                     b'</PartNumber><ETag>&e;</ETag></Part>'
                     b'</CompleteMultipartUpload>',
                     b' ' * (2 * 1024 * 1024 + 1)):
            resp = self.call('POST', '/bucket/obj?uploadId=%s' % UPLOAD_ID,
                             body=body)
            self.assertS3Error(resp, 400, 'MalformedXML')
        self.assertNotIn('PUT', self.methods_besides_fence())

    def test_no_body(self):
        """AWS answers MalformedXML, as to a body without parts (stock
        s3api: InvalidRequest, "You must specify at least one part"), and
        nothing is written (issue 12 item 6).
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
        """
        self.register_marker()
        resp = self.call('POST', '/bucket/obj?uploadId=%s' % UPLOAD_ID)
        self.assertS3Error(resp, 400, 'MalformedXML')
        self.assertNotIn('PUT', self.methods_besides_fence())

    def test_location(self):
        self.register_marker()
        self.swift.register('PUT', MANIFEST_PUT, 202, {}, slo_result())
        self.swift.register('DELETE', MARKER, 204)
        for host, scheme, expected in (
                ('h:8080', 'http', 'http://h:8080/bucket/obj'),
                ('h:8080:8080', 'http', 'http://h:8080/bucket/obj'),
                ('h:443', 'https', 'https://h/bucket/obj'),
                ('[::1]:8080:8080', 'http', 'http://[::1]:8080/bucket/obj'),
                ('h', 'http', 'http://h/bucket/obj')):
            req = s3_request('POST', '/bucket/obj?uploadId=%s' % UPLOAD_ID,
                             complete_xml([(1, ETAGS[1]), (2, ETAGS[2])]),
                             {'Host': host})
            req.environ['wsgi.url_scheme'] = scheme
            resp = req.get_response(self.app)
            self.assertEqual(expected, fromstring(
                resp.body, 'CompleteMultipartUploadResult').find(
                    './Location').text)

    def test_bad_part_numbers(self):
        self.register_marker()
        for number in (0, 10001):
            resp = self.complete([(number, ETAGS[1])])
            self.assertS3Error(resp, 400, 'InvalidArgument')
        resp = self.complete([(1, 'nothex')])
        self.assertS3Error(resp, 400, 'InvalidPart')

    def test_unknown_upload(self):
        self.swift.register('HEAD', MARKER, 404)
        self.swift.register('HEAD', OBJ, 404)
        resp = self.complete([(1, ETAGS[1])])
        self.assertS3Error(resp, 404, 'NoSuchUpload')
        self.assertEqual(AUTH_CALLS + [('HEAD', MARKER), ('HEAD', OBJ)],
                         self.swift.calls)

    def test_retry_of_finished_upload(self):
        s3_etag = mpu.multipart_etag(ETAGS[1:3])
        self.swift.register('HEAD', MARKER, 404)
        self.swift.register('HEAD', OBJ, 200, {
            'X-Object-Sysmeta-S3api-Upload-Id': UPLOAD_ID,
            'X-Object-Sysmeta-S3api-Etag': s3_etag})
        resp = self.complete([(1, ETAGS[1]), (2, ETAGS[2])])
        self.assertEqual(200, resp.status_int, resp.body)
        elem = fromstring(resp.body, 'CompleteMultipartUploadResult')
        self.assertEqual('"%s"' % s3_etag, elem.find('./ETag').text)
        self.assertEqual(AUTH_CALLS + [('HEAD', MARKER), ('HEAD', OBJ)],
                         self.swift.calls)
        # another part list is not that upload any more
        resp = self.complete([(1, ETAGS[1])])
        self.assertS3Error(resp, 404, 'NoSuchUpload')

    def test_slo_errors(self):
        self.register_marker()
        for status, errors, code, http in (
                ('400 Bad Request', [['/p', 'Etag Mismatch']],
                 'InvalidPart', 400),
                ('400 Bad Request', [['/p', '404 Not Found']],
                 'InvalidPart', 400),
                # (only If-None-Match: *, checked before, makes it)
                ('412 Precondition Failed', [], 'ConditionalRequestConflict',
                 409),
                ('503 Service Unavailable',
                 [['/p', '503 Service Unavailable']],
                 'ServiceUnavailable', 503)):
            self.swift.register('PUT', MANIFEST_PUT, 202, {},
                                slo_result(status, errors))
            resp = self.complete([(1, ETAGS[1]), (2, ETAGS[2])])
            self.assertS3Error(resp, http, code)
        self.assertNotIn('DELETE', self.methods_besides_fence())

    def test_error_after_heartbeat_goes_in_body(self):
        self.register_marker()
        self.swift.register('PUT', MANIFEST_PUT, 202, {}, slo_result(
            '400 Bad Request', [['/p', 'Etag Mismatch']]))
        with mock.patch.object(UploadController, 'heartbeat_grace', 0):
            resp = self.complete([(1, ETAGS[1]), (2, ETAGS[2])])
        # the 200 went out with the whitespace; AWS puts the error in it
        self.assertEqual(200, resp.status_int)
        self.assertTrue(resp.body.startswith(b'<?xml'))
        elem = fromstring(resp.body.lstrip(b' \n'), 'Error')
        self.assertEqual('InvalidPart', elem.find('./Code').text)

    def test_success_after_heartbeat(self):
        self.register_marker()
        self.swift.register('PUT', MANIFEST_PUT, 202, {}, slo_result())
        self.swift.register('DELETE', MARKER, 204)
        with mock.patch.object(UploadController, 'heartbeat_grace', 0):
            resp = self.complete([(1, ETAGS[1]), (2, ETAGS[2])])
        self.assertEqual(200, resp.status_int)
        elem = fromstring(resp.body, 'CompleteMultipartUploadResult')
        self.assertEqual('"%s"' % mpu.multipart_etag(ETAGS[1:3]),
                         elem.find('./ETag').text)

    def test_if_none_match_etag(self):
        """
        If-None-Match with ETags (beyond what AWS documents; Ceph RGW does
        it, issue 12 item 8): 412 if the current object has one of them,
        else the Complete goes on, and Swift is not asked (it knows only
        *).
        """
        self.register_marker()
        self.swift.register('HEAD', OBJ, 200, {'Etag': ETAGS[0]})
        self.swift.register('PUT', MANIFEST_PUT, 202, {}, slo_result())
        self.swift.register('DELETE', MARKER, 204)
        parts = [(1, ETAGS[1]), (2, ETAGS[2])]
        for value in ('"%s"' % ETAGS[0], '"x", %s' % ETAGS[0], '*'):
            resp = self.complete(parts, headers={'If-None-Match': value})
            self.assertS3Error(resp, 412, 'PreconditionFailed')
            self.assertNotIn('PUT', self.methods_besides_fence())
            self.assertFenceDown()
        resp = self.complete(parts, headers={'If-None-Match': '"%s"' % (
            ETAGS[3])})
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertNotIn('If-None-Match', self.sent('PUT', MANIFEST_PUT)[0])

    def test_if_none_match_star_raced(self):
        """
        If-None-Match: * is checked before the write and on it, where Swift
        checks it; an object that came between the two is a write racing
        ours: 409 ConditionalRequestConflict, as AWS answers (issue 12 item
        10), and the upload stays.
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
        """
        self.register_marker()
        self.swift.register('PUT', MANIFEST_PUT, 202, {}, slo_result(
            '412 Precondition Failed'))
        resp = self.complete([(1, ETAGS[1]), (2, ETAGS[2])],
                             headers={'If-None-Match': '*',
                                      'If-Modified-Since': 'x'})
        self.assertS3Error(resp, 409, 'ConditionalRequestConflict')
        # after s3api's own authentication, only the write is conditional
        conditional = [call for call, headers in zip(
            self.swift.calls[len(AUTH_CALLS):],
            self.swift.headers[len(AUTH_CALLS):])
            if 'If-None-Match' in headers or 'If-Modified-Since' in headers]
        self.assertEqual([('PUT', MANIFEST_PUT)], conditional)
        self.assertEqual('*', self.sent('PUT', MANIFEST_PUT)[0][
            'If-None-Match'])
        self.assertEqual(('DELETE', FENCE), self.swift.calls[-1])
        self.assertNotIn(('DELETE', MARKER), self.swift.calls)

    def test_if_match(self):
        """
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
        """
        self.register_marker()
        self.swift.register('HEAD', OBJ, 200, {'Etag': ETAGS[0]})
        self.swift.register('PUT', MANIFEST_PUT, 202, {}, slo_result())
        self.swift.register('DELETE', MARKER, 204)
        parts = [(1, ETAGS[1]), (2, ETAGS[2])]
        resp = self.complete(parts, headers={'If-Match': '"%s"' % ETAGS[3]})
        self.assertS3Error(resp, 412, 'PreconditionFailed')
        self.assertNotIn('PUT', self.methods_besides_fence())
        resp = self.complete(parts, headers={'If-Match': '"%s"' % ETAGS[0]})
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertNotIn('If-Match', self.swift.headers[-2])

    def test_if_match_no_object(self):
        self.register_marker()
        self.swift.register('HEAD', OBJ, 404)
        resp = self.complete([(1, ETAGS[1]), (2, ETAGS[2])],
                             headers={'If-Match': '"%s"' % ETAGS[0]})
        self.assertS3Error(resp, 404, 'NoSuchKey')
        self.assertNotIn('PUT', self.methods_besides_fence())

    def test_mp_object_size(self):
        """
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
        """
        self.register_marker()
        self.swift.register('PUT', MANIFEST_PUT, 202, {}, slo_result())
        self.swift.register('DELETE', MARKER, 204)
        parts = [(1, ETAGS[1]), (2, ETAGS[2])]
        resp = self.complete(parts, headers={
            'x-amz-mp-object-size': str(5 * MIB + 9)})
        self.assertS3Error(resp, 400, 'InvalidRequest')
        self.assertNotIn('PUT', self.methods_besides_fence())
        for bad in ('-1', 'abc', '1.5'):
            resp = self.complete(parts, headers={'x-amz-mp-object-size': bad})
            self.assertS3Error(resp, 400, 'InvalidArgument')
        resp = self.complete(parts, headers={
            'x-amz-mp-object-size': str(5 * MIB + 10)})
        self.assertEqual(200, resp.status_int, resp.body)


class TestCompleteS3Acl(MultipartTestCase):
    """Under s3_acl, the manifest's PUT copies the ACL Create left on the
    marker, with one more HEAD of it (s3api's UploadAclHandler)."""
    conf = {'s3_acl': 'true'}

    def setUp(self):
        super().setUp()
        owner = json.dumps({'Owner': 'test:tester', 'Grant': [
            {'Permission': 'FULL_CONTROL', 'Grantee': 'test:tester'}]})
        self.swift.register('HEAD', BUCKET, 204, {
            'X-Container-Sysmeta-S3api-Acl': owner,
            'X-Backend-Storage-Policy-Index': '0'})
        self.swift.register('HEAD', SEGMENTS, 204, {
            'X-Container-Sysmeta-S3api-Acl': owner})
        self.swift.register_listing(*listing_page([part_row(1, ETAGS[1],
                                                            10)]))
        self.swift.register_listing(*listing_page(
            [], 'obj/%s/1' % UPLOAD_ID))
        self.marker = {'Content-Type': 'application/directory',
                       'X-Backend-Timestamp': '1700000000.00000',
                       'X-Object-Sysmeta-S3api-Tmpacl': owner}
        self.swift.register('DELETE', MARKER, 204)

    def complete(self):
        return self.call('POST', '/bucket/obj?uploadId=%s' % UPLOAD_ID,
                         body=complete_xml([(1, ETAGS[1])]))

    def test_complete(self):
        self.swift.register('HEAD', MARKER, 200, self.marker)
        self.swift.register('PUT', MANIFEST_PUT, 202, {}, slo_result())
        resp = self.complete()
        self.assertEqual(200, resp.status_int, resp.body)
        headers, _ = self.sent('PUT', MANIFEST_PUT)
        self.assertIn('test:tester',
                      headers['X-Object-Sysmeta-S3api-Acl'])
        self.assertEqual(4, self.swift.calls.count(('HEAD', MARKER)))

    def test_marker_gone_before_the_manifest(self):
        """An Abort (or a Complete) ended the upload after our checks and
        before the manifest's ACL copy read the marker: NoSuchUpload, as
        AWS answers, not s3api's NoSuchKey (issue 12 item 3), and nothing
        written.
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
        """
        # the upload's check, the fence's, the one after the fence, then
        # the ACL handler's: gone
        self.swift.register_then('HEAD', MARKER, *(
            [(200, self.marker)] * 3 + [(404, {})]))
        resp = self.complete()
        self.assertS3Error(resp, 404, 'NoSuchUpload')
        self.assertEqual(4, self.swift.calls.count(('HEAD', MARKER)))
        self.assertNotIn(('PUT', MANIFEST_PUT), self.swift.calls)
        self.assertFenceDown()
