"""UploadPartCopy: PUT ?partNumber&uploadId with x-amz-copy-source"""

from swift.common.middleware.s3api.etree import fromstring

from test.unit.base import MultipartTestCase, AUTH_CALLS, MARKER, ACCOUNT, \
    FENCE, UPLOAD_ID, part_path

SRC = ACCOUNT + '/src/key'
ETAG = '0cc175b9c0f1b6a831c399e269772661'
PATH = '/bucket/obj?partNumber=2&uploadId=%s' % UPLOAD_ID


class TestUploadPartCopy(MultipartTestCase):
    def setUp(self):
        super().setUp()
        self.register_marker()
        self.swift.register('HEAD', SRC, 200, {
            'Content-Length': '100', 'Etag': 'abc',
            'X-Static-Large-Object': 'true',
            'X-Object-Sysmeta-S3api-Etag': 'abc-3',
            'Last-Modified': 'Sat, 21 Nov 2026 10:00:00 GMT'})
        self.swift.register('PUT', part_path(2), 201, {
            'Etag': ETAG, 'Last-Modified': 'Sat, 21 Nov 2026 11:00:00 GMT'})

    def test_copy_part(self):
        resp = self.call('PUT', PATH, headers={
            'X-Amz-Copy-Source': '/src/key',
            'X-Amz-Copy-Source-Range': 'bytes=10-19'})
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual(AUTH_CALLS + [
            ('HEAD', MARKER),        # upload in progress
            ('HEAD', SRC),           # the source exists (and may be read)
            ('PUT', part_path(2)),   # copied by Swift's copy middleware
            ('HEAD', MARKER),        # before the commit: still in progress
            ('HEAD', FENCE),         # and not being completed
        ], self.swift.calls)
        headers = self.sent('PUT', part_path(2))[0]
        self.assertEqual('/src/key', headers['X-Copy-From'])
        self.assertEqual('bytes=10-19', headers['Range'])
        # the source's MPU ETag must not become the part's
        self.assertEqual('', headers['X-Object-Sysmeta-S3api-Etag'])
        self.assertEqual('', headers['X-Object-Sysmeta-Slo-Etag'])
        # an empty override would list the part with ETag ""; Swift's copy
        # middleware drops the source's own where it does not copy its etag
        self.assertNotIn('X-Object-Sysmeta-Container-Update-Override-Etag',
                         headers)
        elem = fromstring(resp.body, 'CopyPartResult')
        self.assertEqual('"%s"' % ETAG, elem.find('./ETag').text)
        self.assertEqual('2026-11-21T11:00:00.000Z',
                         elem.find('./LastModified').text)

    def test_copy_range_errors(self):
        for rng in ('bytes=1-2,4-5', 'bytes=x-y', 'items=1-2',
                    'bytes=5-', 'bytes=-5', 'bytes= 1-2'):
            self.swift.calls[:] = []
            resp = self.call('PUT', PATH, headers={
                'X-Amz-Copy-Source': '/src/key',
                'X-Amz-Copy-Source-Range': rng})
            self.assertS3Error(resp, 400, 'InvalidArgument')
            self.assertIn(b'must be of the form bytes=first-last', resp.body)
            self.assertNotIn('PUT', [m for m, _ in self.swift.calls], rng)

    def test_copy_range_not_in_the_source(self):
        """
        A range that ends past the source (bytes=0-21 of 5 bytes), starts
        past it, or ends before it starts, is refused as AWS refuses it,
        and nothing is written (issue 12 item 5); stock s3api copies what
        the source has.
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
        """
        for rng in ('bytes=0-100', 'bytes=99-100', 'bytes=100-200',
                    'bytes=20-10'):
            self.swift.calls[:] = []
            resp = self.call('PUT', PATH, headers={
                'X-Amz-Copy-Source': '/src/key',
                'X-Amz-Copy-Source-Range': rng})
            self.assertS3Error(resp, 400, 'InvalidArgument')
            self.assertIn(b'Range specified is not valid for source object '
                          b'of size: 100', resp.body)
            self.assertEqual(AUTH_CALLS + [('HEAD', MARKER), ('HEAD', SRC)],
                             self.swift.calls, rng)
        for rng in ('bytes=0-99', 'bytes=99-99', 'bytes=0-0'):
            for recorded in (self.swift.calls, self.swift.headers,
                             self.swift.bodies):
                recorded[:] = []
            resp = self.call('PUT', PATH, headers={
                'X-Amz-Copy-Source': '/src/key',
                'X-Amz-Copy-Source-Range': rng})
            self.assertEqual(200, resp.status_int, rng)
            self.assertEqual(rng, self.sent('PUT', part_path(2))[0]['Range'])

    def test_copy_source_missing(self):
        self.swift.register('HEAD', ACCOUNT + '/src/gone', 404)
        # s3api asks whether the bucket is there to tell NoSuchKey
        self.swift.register('HEAD', ACCOUNT + '/src', 204)
        resp = self.call('PUT', PATH, headers={
            'X-Amz-Copy-Source': '/src/gone'})
        self.assertS3Error(resp, 404, 'NoSuchKey')
        self.assertNotIn('PUT', [m for m, _ in self.swift.calls])

    def test_copy_to_unknown_upload(self):
        self.swift.register('HEAD', MARKER, 404)
        resp = self.call('PUT', PATH, headers={
            'X-Amz-Copy-Source': '/src/key'})
        self.assertS3Error(resp, 404, 'NoSuchUpload')
        self.assertEqual(AUTH_CALLS + [('HEAD', MARKER)], self.swift.calls)


class TestRefusedEncryption(MultipartTestCase):
    """SSE-C we cannot honour: a clear error, nothing written."""

    def test_sse_c_headers_refused(self):
        for path, header in (
                # UploadPartCopy from an SSE-C source
                (PATH, 'x-amz-copy-source-server-side-encryption-customer-'
                       'algorithm'),
                (PATH, 'x-amz-server-side-encryption-customer-key-MD5'),
                # PutObject and CopyObject, as the multipart operations
                ('/bucket/obj', 'x-amz-server-side-encryption-customer-'
                                'algorithm'),
                ('/bucket/obj', 'x-amz-object-lock-mode')):
            self.swift.calls[:] = []
            resp = self.call('PUT', path, body=b'a', headers={
                header: 'AES256', 'X-Amz-Copy-Source': '/src/key'})
            self.assertS3Error(resp, 501, 'NotImplemented')
            self.assertNotIn('PUT', [m for m, _ in self.swift.calls])
