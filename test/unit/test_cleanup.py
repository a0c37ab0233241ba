"""What a write over a multipart object leaves to the reaper, and what
DeleteBucket deletes.

Nothing frees the parts of a multipart object that a write replaces: the
write reads the key before (is it a multipart object, and of which
upload?), then after it reads that upload's record (our layout: its
record in the index; stock: its marker), on every replica, and queues the
upload's free task if the upload has ended. The reaper frees, gc_delay
later, what no manifest names then, current object or version
(swift3_multipart.protocol, test_reaper_ours).
"""

import json
from unittest import mock
from urllib.parse import quote

from swift3_multipart.controllers import expiring
from test.unit.our_layout import OUR_ID, RECORD
from test.unit.base import MultipartTestCase, MARKER, OBJ, SEGMENTS, \
    INDEX, UPLOAD_ID, listing_page, part_row, ACCOUNT, BUCKET, FENCE
from test.unit.test_complete import ETAGS, LISTING_END, MANIFEST_PUT, \
    slo_result, complete_xml
from test.unit.test_our_layout import NOW, FREE_TASK, free_task

OLD = 'T2xkVXBsb2FkSWQ='   # the upload the current object came from
# its marker (the record of a stock upload), and its free task
OLD_MARKER = SEGMENTS + '/obj/' + OLD
OLD_TASK = free_task(OLD)
# a multipart object of the stock layout, and one of ours
MPU_HEAD = {'X-Static-Large-Object': 'true',
            'X-Object-Sysmeta-S3api-Upload-Id': OLD}
# an upload of our layout that ended before
ENDED_ID = '2.176471000000000' + 'fedcba9876543210'
OUR_HEAD = {'X-Static-Large-Object': 'true',
            'X-Object-Sysmeta-S3api-Mpu-Upload-Id': OUR_ID}


class QueueTestCase(MultipartTestCase):
    """Stock-layout requests that may queue a free task: the clock of the
    queue stands at NOW + 0.5 s, and the old upload's task PUT is
    answered 201."""

    def setUp(self):
        super().setUp()
        clock = mock.patch.object(expiring, 'time')
        clock.start().time.return_value = NOW + 0.5
        self.addCleanup(clock.stop)
        self.swift.register('PUT', OLD_TASK, 201)
        self.swift.register('PUT', FREE_TASK, 201)

    def assertQueued(self, path=OLD_TASK):
        """The free task of key 'obj' was written at ``path``, after the
        read of its upload's record, which asked every replica."""
        headers, body = self.sent('PUT', path)
        self.assertEqual('application/json', headers['Content-Type'])
        self.assertEqual({'key': 'obj', 'default_days': 0, 'max_days': 0,
                          'free': True}, json.loads(body))
        record = OLD_MARKER if path == OLD_TASK else RECORD
        self.assertEqual('true', self.sent('HEAD', record)[0]['X-Newest'])
        calls = self.swift.calls
        self.assertLess(calls.index(('HEAD', record)),
                        calls.index(('PUT', path)))

    def assertNothingFreed(self):
        """No segment DELETEd (but Complete's fence), no manifest read."""
        self.assertEqual([], [c for c in self.swift.calls
                              if 'multipart-manifest=get' in c[1]])
        self.assertEqual([], [c for c in self.swift.calls
                              if c[0] == 'DELETE' and
                              c[1].startswith(SEGMENTS + '/') and
                              c[1] not in (MARKER, FENCE)])


class TestSupersededByComplete(QueueTestCase):
    """A stock-layout Complete over a multipart object."""

    def setUp(self):
        super().setUp()
        self.register_marker()
        rows = [part_row(1, ETAGS[1], 5 * 1024 * 1024),
                part_row(2, ETAGS[2], 10)]
        self.swift.register_listing(*listing_page(rows))
        self.swift.register_listing(*LISTING_END)
        self.swift.register('PUT', MANIFEST_PUT, 202, {}, slo_result())
        self.swift.register('DELETE', MARKER, 204)

    def complete(self):
        resp = self.call('POST', '/bucket/obj?uploadId=%s' % UPLOAD_ID,
                         body=complete_xml([(1, ETAGS[1]), (2, ETAGS[2])]))
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertNothingFreed()
        return self.swift.calls

    def test_old_upload_queued_after_the_write(self):
        self.swift.register('HEAD', OBJ, 200, MPU_HEAD)
        self.swift.register('HEAD', OLD_MARKER, 404)
        calls = self.complete()
        # the key read before the manifest is written
        self.assertLess(calls.index(('HEAD', OBJ)),
                        calls.index(('PUT', MANIFEST_PUT)))
        self.assertEqual([
            ('PUT', MANIFEST_PUT),
            ('DELETE', MARKER),      # this upload ended
            ('DELETE', FENCE),
            ('HEAD', OLD_MARKER),    # the old upload: ended too
            ('PUT', OLD_TASK),       # its free task
        ], calls[calls.index(('PUT', MANIFEST_PUT)):])
        self.assertQueued()

    def test_old_upload_of_our_layout(self):
        self.swift.register('HEAD', OBJ, 200, OUR_HEAD)
        self.swift.register('HEAD', RECORD, 404)
        calls = self.complete()
        self.assertEqual([('DELETE', FENCE), ('HEAD', RECORD),
                          ('PUT', FREE_TASK)], calls[-3:])
        self.assertEqual('true', self.sent('HEAD', RECORD)[0][
            'X-Backend-Allow-Reserved-Names'])
        self.assertQueued(FREE_TASK)

    def test_old_upload_still_in_progress(self):
        # a Complete of it is in flight: whoever ends it queues
        self.swift.register('HEAD', OBJ, 200, MPU_HEAD)
        self.swift.register('HEAD', OLD_MARKER, 200, {})
        calls = self.complete()
        self.assertEqual([('DELETE', FENCE), ('HEAD', OLD_MARKER)],
                         calls[-2:])

    def test_versioned_bucket_queues_the_same(self):
        # the old object is a version now: the reaper keeps what a version
        # names; the Complete queues as anywhere
        self.swift.register('HEAD', BUCKET, 204, {
            'X-Backend-Storage-Policy-Index': '0',
            'X-Container-Sysmeta-Versions-Container': 'v'})
        self.swift.register('HEAD', ACCOUNT + '/v', 204)   # s3api looks
        self.swift.register('HEAD', OBJ, 200, MPU_HEAD)
        self.swift.register('HEAD', OLD_MARKER, 404)
        calls = self.complete()
        self.assertEqual([('DELETE', FENCE), ('HEAD', OLD_MARKER),
                          ('PUT', OLD_TASK)], calls[-3:])
        self.assertQueued()

    def test_plain_object_replaced(self):
        self.swift.register('HEAD', OBJ, 200, {'Etag': 'abc'})
        calls = self.complete()
        self.assertEqual([('DELETE', MARKER), ('DELETE', FENCE)],
                         calls[-2:])

    def test_retry_over_its_own_manifest(self):
        # the key holds this upload's manifest already: nothing replaced
        self.swift.register('HEAD', OBJ, 200, dict(
            MPU_HEAD, **{'X-Object-Sysmeta-S3api-Upload-Id': UPLOAD_ID}))
        calls = self.complete()
        self.assertEqual([('DELETE', MARKER), ('DELETE', FENCE)],
                         calls[-2:])

    def test_failure_to_queue_is_not_an_error(self):
        # the object is complete: the audit finds the old parts
        self.swift.register('HEAD', OBJ, 200, MPU_HEAD)
        self.swift.register('HEAD', OLD_MARKER, 404)
        self.swift.register('PUT', OLD_TASK, 503)
        calls = self.complete()
        self.assertEqual([('HEAD', OLD_MARKER), ('PUT', OLD_TASK)],
                         calls[-2:])

    def test_failure_to_read_the_old_upload_is_not_an_error(self):
        self.swift.register('HEAD', OBJ, 200, MPU_HEAD)
        self.swift.register('HEAD', OLD_MARKER, 503)
        calls = self.complete()
        self.assertEqual(('HEAD', OLD_MARKER), calls[-1])


class TestSupersededByPutObject(QueueTestCase):
    def put_over(self, head=MPU_HEAD, record=OLD_MARKER, status=404,
                 headers=None):
        """
        PutObject over a multipart object whose HEAD answers ``head``,
        whose upload's ``record`` answers ``status`` after the write.
        """
        self.swift.register('HEAD', OBJ, 200, self.with_acl(head))
        self.swift.register('HEAD', record, status, {})
        self.swift.register('PUT', OBJ, 201, {
            'Etag': 'abc', 'Last-Modified': 'Mon, 30 Nov 2026 12:00:00 GMT'})
        resp = self.call('PUT', '/bucket/obj', body=b'new', headers=headers)
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertNothingFreed()
        return self.object_calls()

    def with_acl(self, headers):
        """An object's headers (under s3_acl: with its owner's ACL)."""
        return headers

    def object_calls(self):
        """The calls after s3api's authentication and container info."""
        return [call for call in self.swift.calls if call not in (
            ('TEST', ACCOUNT), ('HEAD', ACCOUNT), ('HEAD', BUCKET))]

    def test_put_over_multipart_object(self):
        self.assertEqual([
            ('HEAD', SEGMENTS),      # any MPU at all?
            ('HEAD', OBJ),           # this one? of which upload?
            ('PUT', OBJ),
            ('HEAD', OLD_MARKER),    # after the write: ended
            ('PUT', OLD_TASK),
        ], self.put_over())
        self.assertQueued()

    def test_put_over_one_of_our_layout(self):
        self.assertEqual([
            ('HEAD', SEGMENTS), ('HEAD', OBJ), ('PUT', OBJ),
            ('HEAD', RECORD),        # its record, in the index: gone
            ('PUT', FREE_TASK),
        ], self.put_over(OUR_HEAD, RECORD))
        self.assertQueued(FREE_TASK)

    def test_old_upload_still_in_progress(self):
        self.assertEqual([
            ('HEAD', SEGMENTS), ('HEAD', OBJ), ('PUT', OBJ),
            ('HEAD', OLD_MARKER),
        ], self.put_over(status=200))

    def test_copy_over_multipart_object(self):
        src = BUCKET + '/src'
        self.swift.register('HEAD', src, 200, self.with_acl({
            'Content-Length': '3', 'Etag': 'abc',
            'Last-Modified': 'Sat, 21 Nov 2026 10:00:00 GMT'}))
        calls = self.put_over(headers={'X-Amz-Copy-Source': '/bucket/src'})
        self.assertEqual([
            ('HEAD', SEGMENTS), ('HEAD', OBJ),
            ('PUT', OBJ),            # the copy
            ('HEAD', OLD_MARKER), ('PUT', OLD_TASK),
        ], [c for c in calls if c != ('HEAD', src)])
        self.assertEqual('/bucket/src', self.sent('PUT', OBJ)[0][
            'X-Copy-From'])
        # the key's HEAD is of the key, not of the copy source
        self.assertNotIn('X-Copy-From', self.sent('HEAD', OBJ)[0])
        self.assertQueued()

    def test_bucket_without_uploads_costs_nothing_more(self):
        self.swift.register('HEAD', SEGMENTS, 404)
        self.swift.register('PUT', OBJ, 201, {'Etag': 'abc'})
        resp = self.call('PUT', '/bucket/obj', body=b'new')
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual([('HEAD', SEGMENTS), ('PUT', OBJ)],
                         self.object_calls())

    def test_plain_object_replaced(self):
        self.swift.register('HEAD', OBJ, 200, {'Etag': 'abc'})
        self.swift.register('PUT', OBJ, 201, {'Etag': 'abc'})
        resp = self.call('PUT', '/bucket/obj', body=b'new')
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual([('HEAD', SEGMENTS), ('HEAD', OBJ), ('PUT', OBJ)],
                         self.object_calls())


def segment_rows(names):
    return [{'name': name, 'hash': 'h', 'bytes': 1, 'content_type': 'x',
             'last_modified': '2026-11-21T10:00:00.000000'}
            for name in names]


class TestDeleteBucket(QueueTestCase):
    # an upload of our layout in progress, of key 'k'
    RECORD = INDEX + '/\x00k\x00' + OUR_ID
    INDEX_LISTING = INDEX + '?format=json&limit=1000&prefix=%00'
    # what the stock layout leaves: a marker, parts, a fence
    STOCK_NAMES = ['gone/' + OLD] + ['gone/%s/%d' % (OLD, n)
                                     for n in range(21)]

    def setUp(self):
        super().setUp()
        self.swift.register('HEAD', BUCKET, 204, {
            'X-Backend-Storage-Policy-Index': '0',
            'X-Container-Object-Count': '0'})
        self.swift.register('HEAD', self.RECORD, 200, {})
        self.swift.register('DELETE', self.RECORD, 204)
        self.swift.register('DELETE', INDEX, 204)
        self.swift.register('DELETE', SEGMENTS, 204)
        self.swift.register('DELETE', BUCKET, 204)
        for name in self.STOCK_NAMES:
            self.swift.register('DELETE', '%s/%s' % (SEGMENTS, name), 204)

    def delete(self, records, names):
        """DeleteBucket of a bucket whose index lists ``records`` and
        whose segments container ``names``."""
        self.swift.register('GET', self.INDEX_LISTING, 200, {}, [
            {'name': r[len(INDEX) + 1:]} for r in records])
        self.swift.register_container(SEGMENTS, segment_rows(names))
        resp = self.call('DELETE', '/bucket')
        self.assertEqual(204, resp.status_int, resp.body)
        return [c for c in self.swift.calls if c not in (
            ('TEST', ACCOUNT), ('HEAD', ACCOUNT), ('HEAD', BUCKET))]

    def test_segments_deleted_in_parallel_then_the_containers(self):
        calls = self.delete([self.RECORD], self.STOCK_NAMES)
        self.assertEqual([
            ('GET', self.INDEX_LISTING),
            ('HEAD', self.RECORD),       # protocol.abort: in progress
            ('DELETE', self.RECORD),     # ended
            ('PUT', FREE_TASK),          # its attempts wait for the task
            ('DELETE', INDEX),
            ('GET', SEGMENTS + '?format=json&marker='),
        ], calls[:6])
        self.assertEqual('true', self.sent('HEAD', self.RECORD)[0][
            'X-Newest'])
        self.assertEqual('true', self.sent('DELETE', INDEX)[0][
            'X-Backend-Allow-Reserved-Names'])
        self.assertEqual({'key': 'k', 'default_days': 0, 'max_days': 0,
                          'free': True}, json.loads(self.sent(
                              'PUT', FREE_TASK)[1]))
        # the stock layout's names, in parallel, then the next page
        self.assertEqual(sorted(('DELETE', '%s/%s' % (SEGMENTS, n))
                                for n in self.STOCK_NAMES),
                         sorted(calls[6:-3]))
        self.assertEqual([
            ('GET', SEGMENTS + '?format=json&marker=' +
             quote('gone/%s/9' % OLD)),
            ('DELETE', SEGMENTS),        # no attempt of ours in it
            ('DELETE', BUCKET),
        ], calls[-3:])

    def test_attempts_of_our_layout_wait_for_their_task(self):
        # the attempts of the upload it ended, and of one ended before
        # (its task queued already): they stay, and +segments with them;
        # an abort record of an earlier build goes, as the stock names
        attempts = ['k/%s/00001/%021d' % (OUR_ID, 1),
                    'x/%s/00002/%021d' % (ENDED_ID, 2)]
        abort_record = 'k/%s/00000/0' % OUR_ID
        self.swift.register('DELETE', '%s/%s' % (SEGMENTS, abort_record),
                            204)
        calls = self.delete([self.RECORD], sorted(
            attempts + [abort_record] + self.STOCK_NAMES[:2]))
        deleted = [p for m, p in calls if m == 'DELETE']
        self.assertEqual([self.RECORD, INDEX], deleted[:2])
        self.assertEqual(sorted('%s/%s' % (SEGMENTS, n) for n in [
            abort_record] + self.STOCK_NAMES[:2]), sorted(deleted[2:-1]))
        self.assertEqual(BUCKET, deleted[-1])   # not SEGMENTS
        self.assertEqual('k', json.loads(self.sent('PUT', FREE_TASK)[1])[
            'key'])

    def test_upload_ended_meanwhile(self):
        # listed, but a Complete (or an Abort) ended it since: it queued
        # the task; nothing is written for it
        self.swift.register('HEAD', self.RECORD, 404)
        calls = self.delete([self.RECORD], [])
        self.assertEqual([
            ('GET', self.INDEX_LISTING), ('HEAD', self.RECORD),
            ('DELETE', INDEX),
            ('GET', SEGMENTS + '?format=json&marker='),
            ('DELETE', SEGMENTS), ('DELETE', BUCKET)], calls)

    def test_bucket_not_empty(self):
        self.swift.register('HEAD', BUCKET, 204, {
            'X-Backend-Storage-Policy-Index': '0',
            'X-Container-Object-Count': '1'})
        resp = self.call('DELETE', '/bucket')
        self.assertS3Error(resp, 409, 'BucketNotEmpty')
        self.assertNotIn('DELETE', self.methods_besides_fence())
        self.assertNotIn('PUT', self.methods_besides_fence())


OWNER_ACL = json.dumps({'Owner': 'test:tester', 'Grant': [
    {'Permission': 'FULL_CONTROL', 'Grantee': 'test:tester'}]})


class TestSupersededUnderS3Acl(TestSupersededByPutObject):
    """
    The same under s3_acl, where the object controller's ACL handler has
    no rule for our own requests in +segments (an earlier build's DELETEs
    raised, a traceback in the log, and the parts stayed for good: issue
    12 item 2): the read of the old upload goes past it too.
    """
    conf = {'s3_acl': 'true'}

    def setUp(self):
        super().setUp()
        self.swift.register('HEAD', BUCKET, 204, {
            'X-Container-Sysmeta-S3api-Acl': OWNER_ACL,
            'X-Backend-Storage-Policy-Index': '0'})
        self.swift.register('HEAD', SEGMENTS, 204, {
            'X-Container-Sysmeta-S3api-Acl': OWNER_ACL})

    def with_acl(self, headers):
        return dict(headers, **{'X-Object-Sysmeta-S3api-Acl': OWNER_ACL})

    def test_put_over_multipart_object(self):
        calls = self.put_over()
        self.assertEqual([('HEAD', OLD_MARKER), ('PUT', OLD_TASK)],
                         calls[calls.index(('PUT', OBJ)) + 1:])
        self.assertQueued()
        # the client's own write was checked against the bucket ACL
        self.assertLess(self.swift.calls.index(('HEAD', BUCKET)),
                        self.swift.calls.index(('PUT', OBJ)))
