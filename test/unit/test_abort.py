"""AbortMultipartUpload: DELETE /bucket/key?uploadId=ID"""

from test.unit.base import MultipartTestCase, AUTH_CALLS, MARKER, OBJ, \
    FENCE, ACCOUNT, BUCKET, UPLOAD_ID, listing_page, part_row, part_path

ETAG = '0cc175b9c0f1b6a831c399e269772661'


class TestAbort(MultipartTestCase):
    def test_abort_deletes_parts_then_marker(self):
        self.register_marker()
        self.swift.register('HEAD', OBJ, 404)
        rows = [part_row(1, ETAG, 5), part_row(2, ETAG, 5)]
        self.swift.register_listing(*listing_page(rows))
        self.swift.register_listing(*listing_page(
            [], 'obj/%s/2' % UPLOAD_ID))
        self.swift.register('DELETE', part_path(1), 204)
        self.swift.register('DELETE', part_path(2), 404)  # raced away
        self.swift.register('DELETE', MARKER, 204)
        resp = self.call('DELETE', '/bucket/obj?uploadId=%s' % UPLOAD_ID)
        self.assertEqual(204, resp.status_int, resp.body)
        self.assertEqual(AUTH_CALLS + [
            ('HEAD', MARKER),                     # in progress
            ('HEAD', FENCE),                      # no Complete running
            ('HEAD', OBJ),                        # not completed already
            ('DELETE', MARKER),                   # first: no UploadPart
            ('GET', listing_page(rows)[0]),       # commits from now on
            ('GET', listing_page([], 'obj/%s/2' % UPLOAD_ID)[0]),
            ('DELETE', part_path(1)),
            ('DELETE', part_path(2)),
        ], self.swift.calls)

    def test_abort_unknown_upload(self):
        self.swift.register('HEAD', MARKER, 404)
        self.swift.register_listing(*listing_page([]))
        resp = self.call('DELETE', '/bucket/obj?uploadId=%s' % UPLOAD_ID)
        self.assertS3Error(resp, 404, 'NoSuchUpload')
        self.assertEqual(AUTH_CALLS + [
            ('HEAD', MARKER),                # not in progress
            ('HEAD', OBJ),                   # not completed either
            ('GET', listing_page([])[0]),    # and no straggling parts
        ], self.swift.calls)

    def test_repeated_abort_frees_stragglers(self):
        """
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html
        """
        self.swift.register('HEAD', MARKER, 404)
        rows = [part_row(3, ETAG, 5)]   # written by a racing UploadPart
        self.swift.register_listing(*listing_page(rows))
        self.swift.register_listing(*listing_page(
            [], 'obj/%s/3' % UPLOAD_ID))
        self.swift.register('DELETE', part_path(3), 204)
        resp = self.call('DELETE', '/bucket/obj?uploadId=%s' % UPLOAD_ID)
        self.assertEqual(204, resp.status_int, resp.body)
        self.assertEqual(('DELETE', part_path(3)), self.swift.calls[-1])
        self.assertNotIn(('DELETE', MARKER), self.swift.calls)

    def test_repeated_abort_in_versioned_bucket_deletes_nothing(self):
        # an older version may be this upload's manifest
        self.swift.register('HEAD', BUCKET, 204, {
            'X-Backend-Storage-Policy-Index': '0',
            'X-Container-Sysmeta-Versions-Container': '\x00versions\x00b'})
        self.swift.register('HEAD', MARKER, 404)
        # s3api looks for the object's versions where the bucket keeps them
        self.swift.register('HEAD', ACCOUNT + '/\x00versions\x00b', 204)
        resp = self.call('DELETE', '/bucket/obj?uploadId=%s' % UPLOAD_ID)
        self.assertS3Error(resp, 404, 'NoSuchUpload')
        self.assertNotIn('DELETE', [m for m, _ in self.swift.calls])
        self.assertNotIn('GET', [m for m, _ in self.swift.calls])

    def test_abort_when_complete_left_marker_keeps_segments(self):
        self.register_marker()
        self.swift.register('HEAD', OBJ, 200, {
            'X-Object-Sysmeta-S3api-Upload-Id': UPLOAD_ID})
        self.swift.register('DELETE', MARKER, 204)
        resp = self.call('DELETE', '/bucket/obj?uploadId=%s' % UPLOAD_ID)
        self.assertS3Error(resp, 404, 'NoSuchUpload')
        self.assertEqual(AUTH_CALLS + [
            ('HEAD', MARKER), ('HEAD', FENCE), ('HEAD', OBJ),
            ('DELETE', MARKER),   # stale marker only; no part deleted
        ], self.swift.calls)
