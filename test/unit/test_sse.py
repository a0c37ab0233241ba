"""x-amz-server-side-encryption: AES256 on the answers of the multipart
writes when Swift's encryption middleware encrypts (issue 12 item 12)."""

from unittest import mock

from swift.common import registry

from test.unit.base import MultipartTestCase, MARKER, UPLOAD_ID, part_path
from test.unit.test_complete import ETAGS, LISTING_END, MANIFEST_PUT, \
    complete_xml, slo_result
from test.unit.base import listing_page, part_row

HEADER = 'x-amz-server-side-encryption'


class SseTestCase(MultipartTestCase):
    encryption = {'enabled': True}

    def setUp(self):
        super().setUp()
        admin = dict(registry._swift_admin_info)
        if self.encryption is not None:
            admin['encryption'] = self.encryption
        else:
            admin.pop('encryption', None)
        patcher = mock.patch.object(registry, '_swift_admin_info', admin)
        patcher.start()
        self.addCleanup(patcher.stop)
        self.register_marker()
        self.swift.register('PUT', MARKER, 201)
        self.swift.register('PUT', part_path(1), 201, {'Etag': ETAGS[1]})
        self.swift.register('HEAD', '/v1/AUTH_test/bucket/src', 200, {
            'Content-Length': '10', 'Etag': 'abc',
            'Last-Modified': 'Sat, 21 Nov 2026 10:00:00 GMT'})
        self.swift.register('PUT', part_path(2), 201, {
            'Etag': ETAGS[2],
            'Last-Modified': 'Sat, 21 Nov 2026 11:00:00 GMT'})
        self.swift.register_listing(*listing_page([
            part_row(1, ETAGS[1], 5 * 1024 * 1024),
            part_row(2, ETAGS[2], 10)]))
        self.swift.register_listing(*LISTING_END)
        self.swift.register('DELETE', MARKER, 204)

    def answers(self):
        """The SSE header of Create, UploadPart, UploadPartCopy, Complete
        (and of a failed Complete)."""
        path = '/bucket/obj?partNumber=%d&uploadId=' + UPLOAD_ID
        resps = [
            self.call('POST', '/bucket/obj?uploads'),
            self.call('PUT', path % 1, body=b'x'),
            self.call('PUT', path % 2, headers={
                'X-Amz-Copy-Source': '/bucket/src'}),
        ]
        self.swift.register('PUT', MANIFEST_PUT, 202, {}, slo_result(
            '400 Bad Request', [['/p', 'Etag Mismatch']]))
        failed = self.call('POST', '/bucket/obj?uploadId=' + UPLOAD_ID,
                           body=complete_xml([(1, ETAGS[1]), (2, ETAGS[2])]))
        self.assertEqual(400, failed.status_int, failed.body)
        self.swift.register('PUT', MANIFEST_PUT, 202, {}, slo_result())
        resps.append(self.call(
            'POST', '/bucket/obj?uploadId=' + UPLOAD_ID,
            body=complete_xml([(1, ETAGS[1]), (2, ETAGS[2])])))
        for resp in resps:
            self.assertEqual(200, resp.status_int, resp.body)
        return [r.headers.get(HEADER) for r in resps], failed.headers.get(
            HEADER)


class TestEncrypting(SseTestCase):
    def test_every_write_says_aes256(self):
        """
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html
        """
        self.assertEqual((['AES256'] * 4, None), self.answers())
        # asked for or not: Swift encrypts every object (as AWS, SSE-S3
        # by default); what was asked is s3api's to check
        resp = self.call('POST', '/bucket/obj?uploads', headers={
            HEADER: 'AES256'})
        self.assertEqual('AES256', resp.headers[HEADER])


class TestEncryptionDisabled(SseTestCase):
    # the middleware is there with disable_encryption: it decrypts only
    encryption = {'enabled': False}

    def test_nothing_said(self):
        self.assertEqual(([None] * 4, None), self.answers())


class TestNoEncryption(SseTestCase):
    encryption = None

    def test_nothing_said_and_sse_refused(self):
        self.assertEqual(([None] * 4, None), self.answers())
        resp = self.call('POST', '/bucket/obj?uploads', headers={
            HEADER: 'AES256'})
        self.assertS3Error(resp, 501, 'NotImplemented')
