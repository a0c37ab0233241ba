"""What a write queues in a bucket whose versioning is enabled or
suspended.

https://docs.aws.amazon.com/AmazonS3/latest/userguide/AddingObjectstoVersionSuspendedBuckets.html

Enabled, a write keeps the current object as a version; suspended, it
replaces the null version, and keeps a current version that has an id.
Either way the write frees nothing: it queues the free task of the
multipart object's upload as in any bucket (test_cleanup), and the reaper
keeps every part that a version names (test_reaper_ours,
TestFreeTaskVersions).
"""

from swift3_multipart import tasks
from test.unit.base import OBJ, SEGMENTS, ACCOUNT, BUCKET
from test.unit.test_cleanup import MPU_HEAD, OLD_MARKER, OLD_TASK, \
    QueueTestCase

NULL_VERSION = OBJ + '?version-id=null'
TASKS = '/v1/' + tasks.TASK_ACCOUNT + '/'


class TestPutObjectVersioning(QueueTestCase):
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
        self.assertNothingFreed()
        return [call for call in self.swift.calls
                if call[1].startswith((OBJ, SEGMENTS + '/', TASKS))]

    def assertQueuesTheSame(self, enabled):
        """The current object (whatever its version) is a multipart
        object whose upload has ended: its task is queued after the
        write."""
        self.bucket(enabled)
        self.swift.register('HEAD', OBJ, 200, MPU_HEAD)
        self.swift.register('HEAD', OLD_MARKER, 404)
        self.assertEqual([
            ('HEAD', OBJ),          # the current object, no version-id
            ('PUT', OBJ),
            ('HEAD', OLD_MARKER),
            ('PUT', OLD_TASK),      # the reaper keeps what versions name
        ], self.put())
        self.assertNotIn(('HEAD', NULL_VERSION), self.swift.calls)
        self.assertQueued()

    def test_enabled_queues_the_same(self):
        # the old object stays as a version: the reaper frees nothing it
        # names
        self.assertQueuesTheSame('true')

    def test_suspended_queues_the_same(self):
        # the null version goes (the reaper frees its parts), or a current
        # version with an id stays (the reaper keeps them)
        self.assertQueuesTheSame('false')

    def test_current_object_not_multipart(self):
        # a delete marker is current (or a plain object): nothing read of
        # any upload
        self.bucket('false')
        self.swift.register('HEAD', OBJ, 404)
        self.assertEqual([('HEAD', OBJ), ('PUT', OBJ)], self.put())
