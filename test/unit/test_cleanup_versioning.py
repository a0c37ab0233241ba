"""What a write frees in a bucket whose versioning is enabled or suspended.

https://docs.aws.amazon.com/AmazonS3/latest/userguide/AddingObjectstoVersionSuspendedBuckets.html
"""

import json

from test.unit.base import MultipartTestCase, OBJ, SEGMENTS, ACCOUNT, \
    BUCKET
from test.unit.test_cleanup import MPU_HEAD, OLD, OLD_MANIFEST

NULL_VERSION = OBJ + '?version-id=null'


class TestPutObjectVersioning(MultipartTestCase):
    def bucket(self, enabled):
        self.swift.register('HEAD', BUCKET, 204, {
            'X-Backend-Storage-Policy-Index': '0',
            'X-Container-Sysmeta-Versions-Container': 'v',
            'X-Container-Sysmeta-Versions-Enabled': enabled})
        self.swift.register('HEAD', ACCOUNT + '/v', 204)   # s3api looks
        self.swift.register('PUT', OBJ, 201, {'Etag': 'abc'})

    def put(self):
        resp = self.call('PUT', '/bucket/obj', body=b'new')
        self.assertEqual(200, resp.status_int, resp.body)
        return [call for call in self.swift.calls
                if call[1].startswith((OBJ, SEGMENTS + '/'))]

    def test_suspended_frees_the_null_version_it_replaces(self):
        self.bucket('false')
        self.swift.register('HEAD', NULL_VERSION, 200, MPU_HEAD)
        self.swift.register(
            'GET', OBJ + '?multipart-manifest=get&version-id=null', 200, {},
            json.dumps(OLD_MANIFEST).encode())
        for n in (1, 2):
            self.swift.register('DELETE', '%s/obj/%s/%d' % (SEGMENTS, OLD, n),
                                204)
        calls = self.put()
        self.assertEqual([
            ('HEAD', NULL_VERSION),   # the current object, if unversioned
            ('GET', OBJ + '?multipart-manifest=get&version-id=null'),
            ('PUT', OBJ),
        ], calls[:3])
        self.assertEqual(sorted([
            ('DELETE', '%s/obj/%s/1' % (SEGMENTS, OLD)),
            ('DELETE', '%s/obj/%s/2' % (SEGMENTS, OLD)),
        ]), sorted(calls[3:]))

    def test_suspended_keeps_a_current_version(self):
        # the current object is a version with an id: it stays
        self.bucket('false')
        self.swift.register('HEAD', NULL_VERSION, 404)
        self.assertEqual([('HEAD', NULL_VERSION), ('PUT', OBJ)], self.put())

    def test_enabled_keeps_everything(self):
        self.bucket('true')
        self.assertEqual([('PUT', OBJ)], self.put())
