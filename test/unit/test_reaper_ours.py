"""swift3-multipart-reaper on uploads of our layout: the same abort as
AbortMultipartUpload (swift3_multipart.abort), through the InternalClient
(swift3_multipart.client_backend)."""

from swift.common.utils.timestamp import Timestamp

from swift3_multipart import abort, layout
from test.unit.fake_ic import register_listing, row
from test.unit.test_reaper import ReaperTestCase, task, INITIATED, NOW, \
    BUCKET, KEY, SEGMENTS, LIFECYCLE, TASKS

OUR_ID = layout.new_upload_id(Timestamp(INITIATED + 0.12345))
INDEX = '/v1/AUTH_test/' + layout.index_container('bucket')
RECORD = INDEX + '/' + layout.record_name(KEY, OUR_ID)
ABORT_RECORD = SEGMENTS + '/' + layout.abort_record_name(KEY, OUR_ID)
PREFIX = layout.parts_prefix(KEY, OUR_ID)
ATTEMPTS = [PREFIX + '%05d/%021d' % (n, n) for n in (1, 2)]
OBJ = BUCKET + '/' + KEY


class TestReaperOurLayout(ReaperTestCase):
    def register_ours(self, key_headers=None, record=200):
        self.swift.register('HEAD', RECORD, record)
        self.swift.register('DELETE', RECORD, 204)
        self.swift.register('HEAD', BUCKET, 204, LIFECYCLE)
        self.swift.register('HEAD', SEGMENTS, 204)
        self.swift.register_stored(ABORT_RECORD)
        if key_headers is None:
            self.swift.register('HEAD', OBJ, 404)
        else:
            self.swift.register('HEAD', OBJ, 200, key_headers)
        # the abort record lists among the attempts' names, and is not one
        register_listing(self.swift, SEGMENTS, [
            row(PREFIX + '00000/0')] + [row(n, 7) for n in ATTEMPTS],
            prefix=PREFIX)
        for name in ATTEMPTS:
            self.swift.register('DELETE', SEGMENTS + '/' + name, 204)

    def test_aborts_due_upload(self):
        container, name, body = task(upload_id=OUR_ID)
        self.register_tasks((container, name, body))
        self.register_ours()
        stats = self.reaper.run_once(now=NOW)
        writes = self.writes()
        self.assertEqual([
            ('PUT', ABORT_RECORD),        # the flag, before the key is read
            ('DELETE', RECORD),
            ('DELETE', SEGMENTS + '/' + ATTEMPTS[0]),
            ('DELETE', SEGMENTS + '/' + ATTEMPTS[1]),
            ('DELETE', '%s/%s/%s' % (TASKS, container, name)),
            ('DELETE', TASKS + '/' + container),
        ], writes)
        # the record and the key read on every replica
        for path in (RECORD, OBJ):
            index = self.swift.calls.index(('HEAD', path))
            self.assertEqual('true', self.swift.headers[index]['X-Newest'])
        index = self.swift.calls.index(('PUT', ABORT_RECORD))
        self.assertEqual(abort.record_timestamp(OUR_ID).internal,
                         self.swift.headers[index]['X-Timestamp'])
        self.assertEqual((1, 2, 14), (stats['aborted'], stats['parts'],
                                      stats['bytes']))

    def test_completed_upload_is_swept(self):
        # the record is gone (completed): what no manifest names goes, the
        # abort record first so that a Complete still under way backs off
        container, name, body = task(upload_id=OUR_ID)
        self.register_tasks((container, name, body))
        self.register_ours(record=404, key_headers={
            layout.OUR_UPLOAD_ID_SYSMETA: OUR_ID,
            'X-Static-Large-Object': 'True'})
        self.swift.register(
            'GET', OBJ + '?multipart-manifest=get', 200, {},
            [{'name': '/bucket+segments/' + ATTEMPTS[0], 'bytes': 7}])
        stats = self.reaper.run_once(now=NOW)
        self.assertEqual([
            ('PUT', ABORT_RECORD),
            ('DELETE', SEGMENTS + '/' + ATTEMPTS[1]),
            ('DELETE', '%s/%s/%s' % (TASKS, container, name)),
            ('DELETE', TASKS + '/' + container)], self.writes())
        self.assertEqual((0, 1, 1, 7), (stats['aborted'], stats['gone'],
                                        stats['parts'], stats['bytes']))

    def test_sweep_of_a_deleted_bucket_is_done(self):
        # a Complete queued the sweep; the bucket went since, its segments
        # with it: nothing to do, no error, the task goes
        container, name, body = task(upload_id=OUR_ID)
        self.register_tasks((container, name, body))
        self.swift.register('HEAD', RECORD, 404)
        self.swift.register('HEAD', BUCKET, 404)
        stats = self.reaper.run_once(now=NOW)
        self.assertEqual((0, 1, 0), (stats['errors'], stats['gone'],
                                     stats['parts']))
        self.assertEqual([
            ('DELETE', '%s/%s/%s' % (TASKS, container, name)),
            ('DELETE', TASKS + '/' + container)], self.writes())

    def test_dry_run_of_a_gone_upload_writes_nothing(self):
        self.reaper.dry_run = True
        container, name, body = task(upload_id=OUR_ID)
        self.register_tasks((container, name, body))
        self.register_ours(record=404)
        stats = self.reaper.run_once(now=NOW)
        self.assertEqual([], self.writes())
        self.assertEqual(1, stats['gone'])

    def test_a_racing_complete_keeps_its_parts(self):
        container, name, body = task(upload_id=OUR_ID)
        self.register_tasks((container, name, body))
        self.register_ours(key_headers={
            layout.OUR_UPLOAD_ID_SYSMETA: OUR_ID,
            'X-Static-Large-Object': 'True'})
        self.swift.register(
            'GET', OBJ + '?multipart-manifest=get', 200, {},
            [{'name': '/bucket+segments/' + ATTEMPTS[1], 'bytes': 7}])
        stats = self.reaper.run_once(now=NOW)
        deleted = [p for m, p in self.writes() if m == 'DELETE']
        self.assertIn(SEGMENTS + '/' + ATTEMPTS[0], deleted)
        self.assertNotIn(SEGMENTS + '/' + ATTEMPTS[1], deleted)
        self.assertEqual((1, 7), (stats['parts'], stats['bytes']))
