"""DeleteObject and DeleteObjects of multipart objects: the manifest goes
alone (no ``?multipart-manifest=delete``), and the upload's free task is
queued if its record (ours) or marker (stock) is read gone after the
DELETE (swift3_multipart.controllers.deletes, protocol.replaced)."""

import base64
import hashlib
from unittest import mock

from swift.common import registry
from swift.common.middleware.s3api.etree import fromstring

from swift3_multipart import layout
from test.unit.base import ACCOUNT, AUTH_CALLS, BUCKET, MARKER, OBJ, \
    SEGMENTS, UPLOAD_ID
from test.unit.our_layout import OUR_ID, RECORD
from test.unit.test_our_layout import QueueTestCase, FREE_TASK, free_task

S3_ETAG = '0cc175b9c0f1b6a831c399e269772661-2'
# s3api's own read of the object before it deletes it
OBJ_HEAD = OBJ + '?symlink=get'
# a multipart object of our layout, and of the stock layout
OURS = {'X-Static-Large-Object': 'True',
        layout.OUR_UPLOAD_ID_SYSMETA: OUR_ID,
        'X-Object-Sysmeta-S3api-Etag': S3_ETAG}
STOCK = {'X-Static-Large-Object': 'True',
         'X-Object-Sysmeta-S3api-Upload-Id': UPLOAD_ID,
         'X-Object-Sysmeta-S3api-Etag': S3_ETAG}
STOCK_TASK = free_task(UPLOAD_ID)
# deletes.py keys s3api's HEAD by its PATH_INFO before auth rewrote it
# ('/v1/test:tester/...'), and the DELETE by the rewritten one
# ('/v1/AUTH_test/...'): a DeleteObject whose first backend request is
# that HEAD (no versionId, no s3_acl) never finds the upload and queues
# nothing. These tests state what the protocol asks; they pass once
# PlainManifestDeletes reads the path after the app ran.


class DeleteTestCase(QueueTestCase):
    def setUp(self):
        super().setUp()
        self.swift.register('PUT', STOCK_TASK, 201)

    def assertNoSegmentWrites(self):
        """No ?multipart-manifest anywhere, nothing of +segments written:
        the parts wait for the task."""
        self.assertEqual([], [c for c in self.swift.calls
                              if 'multipart-manifest' in c[1]])
        self.assertEqual([], [c for c in self.writes()
                              if c[1].startswith(SEGMENTS)])


class TestDeleteObject(DeleteTestCase):
    def setUp(self):
        super().setUp()
        self.swift.register('DELETE', OBJ, 204)

    def delete(self, head):
        self.swift.register('HEAD', OBJ_HEAD, 200, head)
        resp = self.call('DELETE', '/bucket/obj')
        self.assertEqual(204, resp.status_int, resp.body)
        self.assertNoSegmentWrites()
        return self.swift.calls

    def test_the_manifest_alone_goes(self):
        self.register_record()
        calls = self.delete(OURS)
        self.assertEqual([
            ('HEAD', OBJ_HEAD),   # s3api's: an SLO, of an upload
            ('DELETE', OBJ),      # the manifest, without its segments
        ], calls[:2])

    def test_ours_ended_queues_its_task(self):
        self.swift.register('HEAD', RECORD, 404)
        self.assertEqual([
            ('HEAD', OBJ_HEAD), ('DELETE', OBJ),
            ('HEAD', RECORD),       # after the DELETE: ended
            ('PUT', FREE_TASK),     # so its task
        ], self.delete(OURS))
        self.assertEqual('true', self.newest('HEAD', RECORD))
        self.assertQueued()

    def test_ours_in_progress_queues_nothing(self):
        # a Complete of it is in flight: whoever ends it queues
        self.register_record()
        self.assertEqual([('HEAD', OBJ_HEAD), ('DELETE', OBJ),
                          ('HEAD', RECORD)], self.delete(OURS))

    def test_stock_ended_queues_its_task(self):
        self.swift.register('HEAD', MARKER, 404)
        self.assertEqual([
            ('HEAD', OBJ_HEAD), ('DELETE', OBJ),
            ('HEAD', MARKER),       # its marker: gone
            ('PUT', STOCK_TASK),
        ], self.delete(STOCK))
        self.assertEqual('true', self.newest('HEAD', MARKER))
        self.assertQueued(STOCK_TASK)

    def test_stock_in_progress_queues_nothing(self):
        self.register_marker()
        self.assertEqual([('HEAD', OBJ_HEAD), ('DELETE', OBJ),
                          ('HEAD', MARKER)], self.delete(STOCK))

    def test_plain_object(self):
        self.assertEqual([('HEAD', OBJ_HEAD), ('DELETE', OBJ)],
                         self.delete({'Etag': 'abc'}))

    def test_slo_of_no_upload(self):
        # an SLO made with the Swift API (its segments are the user's, not
        # an upload's): SLO deletes it with its segments, as under stock
        # s3api, and no upload is read
        slo_delete = OBJ + '?async=on&multipart-manifest=delete'
        self.swift.register('DELETE', slo_delete, 204)
        self.swift.register('HEAD', OBJ_HEAD, 200, {
            'X-Static-Large-Object': 'True',
            'X-Object-Sysmeta-S3api-Etag': 'x'})
        resp = self.call('DELETE', '/bucket/obj')
        self.assertEqual(204, resp.status_int, resp.body)
        self.assertEqual([('HEAD', OBJ_HEAD), ('DELETE', slo_delete)],
                         self.swift.calls)


class TestDeleteObjectVersion(DeleteTestCase):
    VERSION = '1764720050.00000'
    VERSION_HEAD = OBJ + '?symlink=get&version-id=' + VERSION
    VERSION_DELETE = OBJ + '?symlink=get&version-id=' + VERSION

    def setUp(self):
        super().setUp()
        self.swift.register('HEAD', BUCKET, 204, {
            'X-Backend-Storage-Policy-Index': '0',
            'X-Container-Sysmeta-Versions-Container': 'v'})
        self.swift.register('HEAD', ACCOUNT + '/v', 204)   # s3api looks
        info = mock.patch.dict(registry._swift_info,
                               {'object_versioning': {}})
        info.start()
        self.addCleanup(info.stop)
        self.swift.register('HEAD', self.VERSION_HEAD, 200, OURS)
        self.swift.register('DELETE', self.VERSION_DELETE, 204)

    def delete(self):
        resp = self.call('DELETE', '/bucket/obj?versionId=' + self.VERSION)
        self.assertEqual(204, resp.status_int, resp.body)
        self.assertNoSegmentWrites()
        return self.swift.calls

    def test_multipart_version_ended(self):
        # the version goes alone; the task frees what no other version
        # (nor the current object) names
        self.swift.register('HEAD', RECORD, 404)
        self.assertEqual(AUTH_CALLS + [
            ('HEAD', ACCOUNT + '/v'),
            ('HEAD', self.VERSION_HEAD),
            ('DELETE', self.VERSION_DELETE),
            ('HEAD', RECORD),
            ('PUT', FREE_TASK),
        ], self.delete())
        self.assertEqual('true', self.newest('HEAD', RECORD))
        self.assertQueued()

    def test_multipart_version_in_progress(self):
        self.register_record()
        self.assertEqual(AUTH_CALLS + [
            ('HEAD', ACCOUNT + '/v'),
            ('HEAD', self.VERSION_HEAD),
            ('DELETE', self.VERSION_DELETE),
            ('HEAD', RECORD),
        ], self.delete())


class TestDeleteObjects(DeleteTestCase):
    def setUp(self):
        super().setUp()
        for key in ('obj', 'plain', 'b'):
            self.swift.register('DELETE', BUCKET + '/' + key, 204)
        self.swift.register('HEAD', BUCKET + '/plain?symlink=get', 200,
                            {'Etag': 'abc'})

    def delete(self, *keys):
        body = (b'<Delete>' + b''.join(
            b'<Object><Key>%s</Key></Object>' % key.encode()
            for key in keys) + b'</Delete>')
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        resp = self.call('POST', '/bucket?delete', body=body,
                         headers={'Content-MD5': md5})
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual(sorted(keys), sorted(
            e.text for e in fromstring(resp.body, 'DeleteResult').findall(
                './Deleted/Key')))
        self.assertNoSegmentWrites()
        return self.swift.calls

    def assertEachKey(self, calls, keys):
        """Each key: s3api's HEAD, then the DELETE (the keys in parallel)."""
        for key in keys:
            path = BUCKET + '/' + key
            self.assertEqual([('HEAD', path + '?symlink=get'),
                              ('DELETE', path)],
                             [c for c in calls
                              if c[1] in (path, path + '?symlink=get')])

    def test_one_multipart_one_not(self):
        self.swift.register('HEAD', OBJ_HEAD, 200, OURS)
        self.swift.register('HEAD', RECORD, 404)
        calls = self.delete('obj', 'plain')
        self.assertEqual(('HEAD', BUCKET), calls[0])   # s3api's check
        self.assertEachKey(calls[1:5], ('obj', 'plain'))
        # once both are deleted: the upload of the multipart one
        self.assertEqual([('HEAD', RECORD), ('PUT', FREE_TASK)], calls[5:])
        self.assertEqual('true', self.newest('HEAD', RECORD))
        self.assertQueued()

    def test_one_multipart_in_progress(self):
        self.swift.register('HEAD', OBJ_HEAD, 200, OURS)
        self.register_record()
        calls = self.delete('obj', 'plain')
        self.assertEachKey(calls[1:5], ('obj', 'plain'))
        self.assertEqual([('HEAD', RECORD)], calls[5:])

    def test_both_layouts_ended(self):
        self.swift.register('HEAD', OBJ_HEAD, 200, OURS)
        self.swift.register('HEAD', RECORD, 404)
        self.swift.register('HEAD', BUCKET + '/b?symlink=get', 200, STOCK)
        stock_marker = SEGMENTS + '/b/' + UPLOAD_ID
        self.swift.register('HEAD', stock_marker, 404)
        calls = self.delete('obj', 'b')
        self.assertEachKey(calls[1:5], ('obj', 'b'))
        self.assertEqual(
            sorted([('HEAD', RECORD), ('PUT', FREE_TASK),
                    ('HEAD', stock_marker), ('PUT', STOCK_TASK)]),
            sorted(calls[5:]))
        # each read before its own task
        for read, task in ((RECORD, FREE_TASK), (stock_marker, STOCK_TASK)):
            self.assertLess(calls.index(('HEAD', read)),
                            calls.index(('PUT', task)))
        self.assertQueued()
        self.assertQueued(STOCK_TASK, key='b')
