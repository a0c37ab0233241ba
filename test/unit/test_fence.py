"""Complete's fence against UploadParts in flight
(swift3_multipart.controllers.fence)."""

import itertools
import time
from unittest import mock

from swift3_multipart import mpu
from swift3_multipart.controllers import fence
from test.unit.base import MultipartTestCase, AUTH_CALLS, MARKER, OBJ, \
    FENCE, SEGMENTS, UPLOAD_ID, part_row, part_path
from test.unit.test_complete import ETAGS, MANIFEST_PUT, complete_xml, \
    slo_result

PART_PATH = '/bucket/obj?partNumber=1&uploadId=%s' % UPLOAD_ID


class TestUploadPartMeetsFence(MultipartTestCase):
    def setUp(self):
        super().setUp()
        self.register_marker()
        self.swift.register('PUT', part_path(1), 201, {'Etag': ETAGS[1]})

    def upload_part(self):
        return self.call('PUT', PART_PATH, body=b'a')

    def test_fresh_fence_drops_the_part(self):
        self.swift.register('HEAD', FENCE, 200, {
            'X-Timestamp': '%.5f' % (time.time() - 1)})
        resp = self.upload_part()
        self.assertS3Error(resp, 404, 'NoSuchUpload')
        self.assertEqual(AUTH_CALLS + [
            ('HEAD', MARKER),
            ('PUT', part_path(1)),      # the body went out, but ...
            ('HEAD', MARKER),
            ('HEAD', FENCE),            # ... a Complete runs: not committed
        ], self.swift.calls)

    def test_stale_fence_is_ignored(self):
        # a Complete that died long ago does not stop uploads for ever
        self.swift.register('HEAD', FENCE, 200, {
            'X-Timestamp': '%.5f' % (time.time() - fence.FENCE_TTL - 1)})
        resp = self.upload_part()
        self.assertEqual(200, resp.status_int, resp.body)

    def test_marker_gone_before_commit(self):
        # a Complete (or an Abort) finished while the body came in
        self.swift.register_then('HEAD', MARKER, (200, {
            'Content-Type': 'application/directory',
            'X-Backend-Timestamp': '1700000000.00000'}), (404, {}))
        resp = self.upload_part()
        self.assertS3Error(resp, 404, 'NoSuchUpload')
        self.assertEqual(AUTH_CALLS + [
            ('HEAD', MARKER), ('PUT', part_path(1)), ('HEAD', MARKER),
        ], self.swift.calls)


class TestCompleteRaisesFence(MultipartTestCase):
    conf = {'complete_fence_settle': '0.25'}

    def setUp(self):
        super().setUp()
        self.register_marker()
        self.swift.register_container(SEGMENTS, [
            part_row(1, ETAGS[1], 5 * 1024 * 1024)])

    def complete(self, parts):
        return self.call('POST', '/bucket/obj?uploadId=%s' % UPLOAD_ID,
                         body=complete_xml(parts))

    def test_settle_between_fence_and_listing(self):
        self.swift.register('PUT', MANIFEST_PUT, 202, {}, slo_result())
        self.swift.register('DELETE', MARKER, 204)
        seen = []
        with mock.patch('swift3_multipart.controllers.fence.eventlet.'
                        'sleep', side_effect=lambda secs: seen.append(
                            (secs, list(self.swift.calls)))):
            resp = self.complete([(1, ETAGS[1])])
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual(1, len(seen))
        secs, calls_then = seen[0]
        self.assertEqual(0.25, secs)
        self.assertEqual(('PUT', FENCE), calls_then[-1])
        self.assertEqual(('DELETE', FENCE), self.swift.calls[-1])

    def test_invalid_part_answers_without_fence(self):
        self.swift.register('HEAD', part_path(2), 404)
        resp = self.complete([(1, ETAGS[1]), (2, ETAGS[2])])
        self.assertS3Error(resp, 400, 'InvalidPart')
        self.assertNotIn(FENCE, [path for _, path in self.swift.calls])

    def test_failed_complete_takes_fence_down(self):
        # part 2 is there at first, gone (an Abort?) behind the fence
        self.swift.register_then('HEAD', part_path(2), (200, {
            'Etag': ETAGS[2], 'Content-Length': '10'}), (404, {}))
        with mock.patch('swift3_multipart.controllers.fence.eventlet.'
                        'sleep'):
            resp = self.complete([(1, ETAGS[1]), (2, ETAGS[2])])
        self.assertS3Error(resp, 400, 'InvalidPart')
        self.assertEqual([('HEAD', FENCE), ('PUT', FENCE), ('HEAD', FENCE),
                          ('HEAD', FENCE), ('DELETE', FENCE)], [
            call for call in self.swift.calls if call[1] == FENCE])
        self.assertEqual(('DELETE', FENCE), self.swift.calls[-1])


class TestFenceIsNoPart(MultipartTestCase):
    """A fence a dead Complete left behind: not a part, freed by Abort."""

    def setUp(self):
        super().setUp()
        self.register_marker()
        self.rows = [dict(part_row(1, ETAGS[0], 0), name=FENCE.split(
            'bucket+segments/', 1)[1]), part_row(1, ETAGS[1], 5)]

    def test_list_parts_skips_it(self):
        self.swift.register_container(SEGMENTS, self.rows)
        resp = self.call('GET', '/bucket/obj?uploadId=%s' % UPLOAD_ID)
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertIn(b'<PartNumber>1</PartNumber>', resp.body)
        self.assertNotIn(b'<PartNumber>0</PartNumber>', resp.body)

    def test_abort_deletes_it(self):
        self.swift.register_container(SEGMENTS, self.rows)
        self.swift.register('DELETE', part_path(1), 204)
        self.swift.register('DELETE', MARKER, 204)
        resp = self.call('DELETE', '/bucket/obj?uploadId=%s' % UPLOAD_ID)
        self.assertEqual(204, resp.status_int, resp.body)
        self.assertIn(('DELETE', FENCE), self.swift.calls)


class TestAbortMeetsFence(MultipartTestCase):
    """An Abort waits for a Complete in progress."""

    def setUp(self):
        super().setUp()
        self.swift.register_container(SEGMENTS, [part_row(1, ETAGS[1], 5)])
        self.swift.register('DELETE', part_path(1), 204)
        self.swift.register('DELETE', MARKER, 204)
        self.sleep = mock.patch(
            'swift3_multipart.controllers.fence.eventlet.sleep').start()
        self.addCleanup(mock.patch.stopall)

    def abort(self):
        return self.call('DELETE', '/bucket/obj?uploadId=%s' % UPLOAD_ID)

    def fresh(self):
        return (200, {'X-Timestamp': '%.5f' % time.time()})

    def test_complete_finished_meanwhile(self):
        self.swift.register_then('HEAD', MARKER, (200, {}), (404, {}))
        self.swift.register_then('HEAD', FENCE, self.fresh(), (404, {}))
        self.swift.register('HEAD', OBJ, 200, {
            'X-Object-Sysmeta-S3api-Upload-Id': UPLOAD_ID})
        resp = self.abort()
        self.assertS3Error(resp, 404, 'NoSuchUpload')
        self.assertEqual([], [c for c in self.swift.calls
                              if c[0] == 'DELETE'])

    def test_complete_failed_meanwhile(self):
        self.register_marker()
        self.swift.register_then('HEAD', FENCE, self.fresh(), (404, {}))
        resp = self.abort()
        self.assertEqual(204, resp.status_int, resp.body)
        self.assertEqual(AUTH_CALLS + [
            ('HEAD', MARKER), ('HEAD', FENCE),     # a Complete runs
            ('HEAD', MARKER), ('HEAD', FENCE),     # it failed: go on
            ('HEAD', OBJ), ('DELETE', MARKER),
        ], self.swift.calls[:len(AUTH_CALLS) + 6])
        self.assertEqual(('DELETE', part_path(1)), self.swift.calls[-1])

    def test_complete_still_running(self):
        self.register_marker()
        self.swift.register('HEAD', FENCE, *self.fresh())
        with mock.patch('swift3_multipart.controllers.fence.'
                        'WAIT_FOR_COMPLETE', 0.25), \
                mock.patch('time.time', side_effect=itertools.count(
                    time.time(), 0.1)):
            resp = self.abort()
        self.assertS3Error(resp, 409, 'OperationAborted')
        self.assertNotIn('DELETE', self.methods_besides_fence())


class TestTwoCompletes(MultipartTestCase):
    """A Complete whose fence another Complete overwrote lets that one
    finish, then answers as a retry would."""

    def setUp(self):
        super().setUp()
        self.swift.register_container(SEGMENTS, [
            part_row(1, ETAGS[1], 5 * 1024 * 1024)])
        self.swift.register_then('HEAD', MARKER, (200, {
            'Content-Type': 'application/directory',
            'X-Backend-Timestamp': '1700000000.00000'}), (404, {}))
        # none at first; after ours, the other Complete's
        self.swift.register_then('HEAD', FENCE, (404, {}), (200, {
            'X-Timestamp': '%.5f' % time.time(),
            'X-Object-Transient-Sysmeta-S3mp-Fence-Token': 'theirs'}))
        self.swift.register('PUT', FENCE, 201)
        mock.patch('swift3_multipart.controllers.fence.eventlet.sleep'
                   ).start()
        self.addCleanup(mock.patch.stopall)

    def complete(self):
        return self.call('POST', '/bucket/obj?uploadId=%s' % UPLOAD_ID,
                         body=complete_xml([(1, ETAGS[1])]))

    def test_same_parts_answer_as_the_other(self):
        etag = mpu.multipart_etag([ETAGS[1]])
        self.swift.register('HEAD', OBJ, 200, {
            'X-Object-Sysmeta-S3api-Upload-Id': UPLOAD_ID,
            'X-Object-Sysmeta-S3api-Etag': etag})
        resp = self.complete()
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertIn(etag.encode('ascii'), resp.body)
        self.assertNotIn('DELETE', self.methods_besides_fence())
        self.assertNotIn(('PUT', MANIFEST_PUT), self.swift.calls)
        self.assertNotIn(('DELETE', FENCE), self.swift.calls)  # not ours

    def test_other_parts_no_such_upload(self):
        self.swift.register('HEAD', OBJ, 200, {
            'X-Object-Sysmeta-S3api-Upload-Id': UPLOAD_ID,
            'X-Object-Sysmeta-S3api-Etag': 'other-2'})
        resp = self.complete()
        self.assertS3Error(resp, 404, 'NoSuchUpload')
        self.assertNotIn(('PUT', MANIFEST_PUT), self.swift.calls)


class TestRetryAfterDeadComplete(MultipartTestCase):
    """A proxy died during a Complete, leaving its fence: the client's
    retry, with the same parts, goes on at once."""

    def test_same_parts_take_over(self):
        self.register_marker()
        self.swift.register_container(SEGMENTS, [
            part_row(1, ETAGS[1], 5 * 1024 * 1024)])
        self.swift.register('PUT', MANIFEST_PUT, 202, {}, slo_result())
        self.swift.register('DELETE', MARKER, 204)
        etag = mpu.multipart_etag([ETAGS[1]])
        self.swift.register_then('HEAD', FENCE, (200, {
            'X-Timestamp': '%.5f' % (time.time() - 5),
            'X-Object-Transient-Sysmeta-S3mp-Fence-Token': 'dead',
            'X-Object-Transient-Sysmeta-S3mp-Fence-Etag': etag}))
        self.swift.register('PUT', FENCE, 201)
        self.swift.register('DELETE', FENCE, 204)
        with mock.patch('swift3_multipart.controllers.fence.eventlet.'
                        'sleep') as sleep, \
                mock.patch('swift3_multipart.controllers.fence.uuid.uuid4',
                           return_value=mock.Mock(hex='dead')):
            resp = self.call('POST', '/bucket/obj?uploadId=%s' % UPLOAD_ID,
                             body=complete_xml([(1, ETAGS[1])]))
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertFalse(sleep.called)   # no waiting for the dead one
        self.assertIn(('PUT', MANIFEST_PUT), self.swift.calls)


class TestNoPrecheckOfManyParts(MultipartTestCase):
    """Above PRECHECK_PARTS parts, Complete lists the parts only behind
    its fence (one listing of a 10,000-part upload costs more than the
    settle time)."""

    def test_listing_only_behind_fence(self):
        self.register_marker()
        self.swift.register_container(SEGMENTS, [
            part_row(1, ETAGS[1], 5 * 1024 * 1024), part_row(2, ETAGS[2], 9)])
        self.swift.register('PUT', MANIFEST_PUT, 202, {}, slo_result())
        self.swift.register('DELETE', MARKER, 204)
        with mock.patch('swift3_multipart.controllers.upload.'
                        'PRECHECK_PARTS', 1), \
                mock.patch('swift3_multipart.controllers.fence.eventlet.'
                           'sleep'):
            resp = self.call('POST', '/bucket/obj?uploadId=%s' % UPLOAD_ID,
                             body=complete_xml([(1, ETAGS[1]),
                                                (2, ETAGS[2])]))
        self.assertEqual(200, resp.status_int, resp.body)
        calls = self.swift.calls
        first_listing = [i for i, (method, path) in enumerate(calls)
                         if method == 'GET' and path.startswith(
                             SEGMENTS + '?')][0]
        self.assertLess(calls.index(('PUT', FENCE)), first_listing)
