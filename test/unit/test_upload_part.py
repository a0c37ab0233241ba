"""UploadPart: PUT /bucket/key?partNumber=N&uploadId=ID"""

from test.unit.base import MultipartTestCase, AUTH_CALLS, MARKER, OBJ, \
    FENCE, UPLOAD_ID, part_path

ETAG = '0cc175b9c0f1b6a831c399e269772661'


class TestUploadPart(MultipartTestCase):
    def test_upload_part(self):
        self.register_marker()
        self.swift.register('PUT', part_path(3), 201, {'Etag': ETAG})
        resp = self.call('PUT', '/bucket/obj?partNumber=3&uploadId=%s'
                         % UPLOAD_ID, body=b'a')
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual('"%s"' % ETAG, resp.headers['ETag'])
        self.assertEqual(AUTH_CALLS + [
            ('HEAD', MARKER),           # the upload is in progress
            ('PUT', part_path(3)),      # the part; once its body is read,
            ('HEAD', MARKER),           # before it is committed: still in
            ('HEAD', FENCE),            # progress, and no Complete running
        ], self.swift.calls)
        self.assertEqual(b'a', self.sent('PUT', part_path(3))[1])
        # the check before the commit asks every replica: one that missed
        # the Complete must not let the part in
        self.assertEqual([None, 'true'], [
            headers.get('X-Newest') for call, headers in zip(
                self.swift.calls, self.swift.headers)
            if call == ('HEAD', MARKER)])

    def test_bad_part_numbers(self):
        for number in ('0', '10001', '-1', 'abc', '1.5'):
            self.swift.calls[:] = []
            resp = self.call('PUT', '/bucket/obj?partNumber=%s&uploadId=%s'
                             % (number, UPLOAD_ID), body=b'a')
            self.assertS3Error(resp, 400, 'InvalidArgument')
            self.assertIn(b'between 1 and 10000', resp.body)
            self.assertEqual(AUTH_CALLS, self.swift.calls, number)

    def test_max_part_number_from_config(self):
        self.app.conf.max_upload_part_num = 5
        resp = self.call('PUT', '/bucket/obj?partNumber=6&uploadId=%s'
                         % UPLOAD_ID, body=b'a')
        self.assertS3Error(resp, 400, 'InvalidArgument')
        self.assertIn(b'between 1 and 5', resp.body)

    def test_no_upload_id(self):
        resp = self.call('PUT', '/bucket/obj?partNumber=1', body=b'a')
        self.assertS3Error(resp, 400, 'InvalidArgument')
        self.assertEqual(AUTH_CALLS, self.swift.calls)

    def test_unknown_upload(self):
        self.swift.register('HEAD', MARKER, 404)
        resp = self.call('PUT', '/bucket/obj?partNumber=1&uploadId=%s'
                         % UPLOAD_ID, body=b'a')
        self.assertS3Error(resp, 404, 'NoSuchUpload')
        self.assertEqual(AUTH_CALLS + [('HEAD', MARKER)], self.swift.calls)

    def test_after_complete_touches_nothing(self):
        # stock s3api falls back to the manifest here and overwrites one of
        # the finished object's segments
        self.swift.register('HEAD', MARKER, 404)
        self.swift.register('HEAD', OBJ, 200, {
            'X-Object-Sysmeta-S3api-Upload-Id': UPLOAD_ID,
            'X-Static-Large-Object': 'true'})
        resp = self.call('PUT', '/bucket/obj?partNumber=1&uploadId=%s'
                         % UPLOAD_ID, body=b'a')
        self.assertS3Error(resp, 404, 'NoSuchUpload')
        self.assertEqual(AUTH_CALLS + [('HEAD', MARKER)], self.swift.calls)

    def test_hostile_upload_ids(self):
        for upload_id in ('a%2Fb', '..%2F..', '%00', 'caf%C3%A9',
                          UPLOAD_ID + '%2F1'):
            self.swift.calls[:] = []
            resp = self.call('PUT', '/bucket/obj?partNumber=1&uploadId=%s'
                             % upload_id, body=b'a')
            self.assertS3Error(resp, 404, 'NoSuchUpload')
            self.assertEqual(AUTH_CALLS, self.swift.calls, upload_id)

    def test_no_such_bucket(self):
        self.swift.register('HEAD', '/v1/AUTH_test/nobucket', 404)
        resp = self.call('PUT', '/nobucket/obj?partNumber=1&uploadId=%s'
                         % UPLOAD_ID, body=b'a')
        self.assertS3Error(resp, 404, 'NoSuchBucket')

    def test_sse_c_part_refused(self):
        resp = self.call('PUT', '/bucket/obj?partNumber=1&uploadId=%s'
                         % UPLOAD_ID, body=b'a', headers={
                             'x-amz-server-side-encryption-customer-key':
                             'a2V5'})
        self.assertS3Error(resp, 501, 'NotImplemented')
        self.assertIn(b'customer-provided keys', resp.body)
        self.assertEqual(AUTH_CALLS, self.swift.calls)
