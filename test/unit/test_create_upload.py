"""CreateMultipartUpload: POST /bucket/key?uploads"""

from swift.common.middleware.s3api.etree import fromstring

from test.unit.base import MultipartTestCase, AUTH_CALLS, SEGMENTS, \
    MARKER, UPLOAD_ID, ACCOUNT


class TestCreateMultipartUpload(MultipartTestCase):
    def test_create_writes_marker(self):
        self.swift.register('HEAD', SEGMENTS, 204)
        self.swift.register('PUT', MARKER, 201)
        resp = self.call('POST', '/bucket/obj?uploads', headers={
            'Content-Type': 'text/plain', 'x-amz-meta-color': 'blue',
            'Cache-Control': 'no-cache'})
        self.assertEqual(200, resp.status_int)
        self.assertEqual(AUTH_CALLS + [
            ('HEAD', SEGMENTS),          # segments container exists
            ('PUT', MARKER),             # the upload marker
        ], self.swift.calls)
        elem = fromstring(resp.body, 'InitiateMultipartUploadResult')
        self.assertEqual('bucket', elem.find('./Bucket').text)
        self.assertEqual('obj', elem.find('./Key').text)
        self.assertEqual(UPLOAD_ID, elem.find('./UploadId').text)
        headers = self.swift.headers[-1]
        # the marker's type carries the initiator, for ListMultipartUploads
        self.assertEqual('application/directory;s3api_initiator=test%3Atester',
                         headers['Content-Type'])
        self.assertEqual('yes', headers[
            'X-Object-Sysmeta-S3api-Has-Content-Type'])
        self.assertEqual('text/plain', headers[
            'X-Object-Sysmeta-S3api-Content-Type'])
        self.assertEqual('test:tester', headers[
            'X-Object-Sysmeta-S3api-Upload-Initiator'])
        self.assertEqual('blue', headers['X-Object-Meta-Color'])
        self.assertEqual('no-cache', headers['Cache-Control'])
        self.assertEqual(b'', self.swift.bodies[-1])

    def test_create_without_content_type(self):
        self.swift.register('HEAD', SEGMENTS, 204)
        self.swift.register('PUT', MARKER, 201)
        resp = self.call('POST', '/bucket/obj?uploads')
        self.assertEqual(200, resp.status_int)
        self.assertEqual('no', self.swift.headers[-1][
            'X-Object-Sysmeta-S3api-Has-Content-Type'])

    def test_create_makes_segments_container_like_bucket(self):
        self.swift.register('HEAD', SEGMENTS, 404)
        self.swift.register('PUT', SEGMENTS, 201)
        self.swift.register('PUT', MARKER, 201)
        resp = self.call('POST', '/bucket/obj?uploads')
        self.assertEqual(200, resp.status_int)
        self.assertEqual(AUTH_CALLS + [
            ('HEAD', SEGMENTS),   # missing
            ('PUT', SEGMENTS),    # created with the bucket's policy
            ('PUT', MARKER),
        ], self.swift.calls)
        self.assertEqual('Policy-0', self.swift.headers[-2][
            'X-Storage-Policy'])

    def test_object_acl_is_not_the_segments_container_acl(self):
        self.swift.register('HEAD', SEGMENTS, 404)
        self.swift.register('PUT', SEGMENTS, 201)
        self.swift.register('PUT', MARKER, 201)
        resp = self.call('POST', '/bucket/obj?uploads',
                         headers={'x-amz-acl': 'public-read'})
        self.assertEqual(200, resp.status_int, resp.body)
        headers, _ = self.sent('PUT', SEGMENTS)
        self.assertNotIn('X-Container-Read', headers)
        self.assertNotIn('X-Container-Write', headers)

    def test_create_no_such_bucket(self):
        self.swift.register('HEAD', ACCOUNT + '/nobucket', 404)
        resp = self.call('POST', '/nobucket/obj?uploads')
        self.assertS3Error(resp, 404, 'NoSuchBucket')
        self.assertNotIn('PUT', [m for m, _ in self.swift.calls])

    def test_create_key_too_long_for_parts(self):
        key = 'k' * 1000   # fits an object, not '<key>/<id>/<n>'
        resp = self.call('POST', '/bucket/%s?uploads' % key)
        self.assertS3Error(resp, 400, 'KeyTooLongError')
        self.assertIn(b'969', resp.body)
        self.assertEqual(AUTH_CALLS, self.swift.calls)

    def test_create_needs_key(self):
        resp = self.call('POST', '/bucket?uploads')
        self.assertS3Error(resp, 400, 'InvalidRequest')

    def test_create_refuses_what_it_cannot_honour(self):
        for header, value in (
                ('x-amz-server-side-encryption-customer-algorithm', 'AES256'),
                ('x-amz-object-lock-mode', 'GOVERNANCE'),
                ('x-amz-object-lock-legal-hold', 'ON'),
                ('x-amz-tagging', 'a=b')):
            self.swift.calls[:] = []
            resp = self.call('POST', '/bucket/obj?uploads',
                             headers={header: value})
            self.assertS3Error(resp, 501, 'NotImplemented')
            self.assertNotIn('PUT', [m for m, _ in self.swift.calls])

    def test_create_storage_class(self):
        """
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html
        """
        resp = self.call('POST', '/bucket/obj?uploads',
                         headers={'x-amz-storage-class': 'GLACIER'})
        self.assertS3Error(resp, 400, 'InvalidStorageClass')
        self.swift.register('HEAD', SEGMENTS, 204)
        self.swift.register('PUT', MARKER, 201)
        resp = self.call('POST', '/bucket/obj?uploads',
                         headers={'x-amz-storage-class': 'STANDARD'})
        self.assertEqual(200, resp.status_int)

    def test_create_key_xml_cannot_carry(self):
        resp = self.call('POST', '/bucket/a%14b?uploads')
        self.assertS3Error(resp, 400, 'InvalidArgument')
        self.assertEqual(AUTH_CALLS, self.swift.calls)
