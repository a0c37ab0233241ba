"""CompleteMultipartUpload of uploads of our layout."""

import io
import json
from unittest import mock

from swift.common.concurrency import sleep

from swift.common.middleware.s3api.etree import fromstring

from swift3_multipart import layout, mpu, tasks
from swift3_multipart.controllers import expiring
from swift3_multipart.middleware import filter_factory
from test.unit.base import OBJ, SEGMENTS
from test.unit.helpers import FakeAuth
from test.unit.our_layout import OurLayoutTestCase, OUR_ID, RECORD, \
    ABORT_RECORD, attempt, attempt_path, attempt_row, manifest_body
from test.unit.test_complete import complete_xml, MANIFEST_PUT

ETAGS = {1: '1' * 32, 2: '2' * 32}
MIB = 1024 * 1024
S3_ETAG = mpu.multipart_etag([ETAGS[1], ETAGS[2]])
OURS = {layout.OUR_UPLOAD_ID_SYSMETA: OUR_ID,
        'X-Object-Sysmeta-S3api-Etag': S3_ETAG,
        'X-Static-Large-Object': 'True'}
NOW = 1764720100
# the reaper's task that frees the attempts the manifest does not name,
# an hour after the Complete (sweep_delay)
SWEEP_DUE = NOW + 3600
SWEEP_NAME = tasks.task_name(SWEEP_DUE, 'AUTH_test', 'bucket', OUR_ID)
SWEEP_TASK = '/v1/.s3api_mpu_expiring/%s/%s' % (
    tasks.task_container(SWEEP_NAME, SWEEP_DUE), SWEEP_NAME)
RECORD_HEAD = ('HEAD', RECORD)


class TestOurComplete(OurLayoutTestCase):
    def setUp(self):
        super().setUp()
        self.swift.register_container(SEGMENTS, [
            attempt_row(1, 1, etag='9' * 32, size=5 * MIB),
            attempt_row(1, 2, etag=ETAGS[1], size=5 * MIB),
            attempt_row(2, 3, etag=ETAGS[2], size=7),
            attempt_row(3, 4, etag='3' * 32, size=7)])   # left out
        self.register_record({'X-Object-Meta-Color': 'blue'})
        self.swift.register_stored(ABORT_RECORD)
        self.swift.register('PUT', MANIFEST_PUT, 201)
        self.swift.register('DELETE', RECORD, 204)
        for number, n in ((1, 1), (1, 2), (2, 3), (3, 4)):
            self.swift.register('DELETE', attempt_path(number, n), 204)
        self.swift.register('PUT', SWEEP_TASK, 201)
        clock = mock.patch.object(expiring, 'time')
        clock.start().time.return_value = NOW + 0.5
        self.addCleanup(clock.stop)
        # before: no object (never one); once written: ours
        self.key_before = (404, {})
        self.manifest = manifest_body(attempt(1, 2), attempt(2, 3))

    def register_key(self, *after):
        after = after or ((200, OURS),)
        # head_key, then (a manifest refused, an abort to back off from)
        # head_key again, then the manifests the sweep keeps
        self.swift.register_then('HEAD', OBJ, self.key_before, *after)
        self.swift.register('GET', OBJ + '?multipart-manifest=get', 200,
                            OURS, self.manifest)

    def complete(self, parts=((1, ETAGS[1]), (2, ETAGS[2])), headers=None):
        return self.call('POST', '/bucket/obj?uploadId=%s' % OUR_ID,
                         body=complete_xml(parts), headers=headers)

    def deleted(self):
        return [path for method, path in self.swift.calls
                if method == 'DELETE']

    def test_complete(self):
        self.register_key()
        resp = self.complete()
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual('"%s"' % S3_ETAG, fromstring(
            resp.body, 'CompleteMultipartUploadResult').find('./ETag').text)
        headers, body = self.sent('PUT', MANIFEST_PUT)
        # the newest attempt of each part
        self.assertEqual([SEGMENTS[len('/v1/AUTH_test'):] + '/' + attempt(n, a)
                          for n, a in ((1, 2), (2, 3))],
                         ['/' + e['path'].lstrip('/') for e in
                          __import__('json').loads(body)])
        # just above the upload's initiation: no object was there
        self.assertEqual('1764720000.00000_0000000000000001',
                         headers['X-Timestamp'])
        self.assertEqual(OUR_ID, headers[layout.OUR_UPLOAD_ID_SYSMETA])
        self.assertNotIn('X-Object-Sysmeta-S3api-Upload-Id', headers)
        self.assertEqual('blue', headers['X-Object-Meta-Color'])
        # the key read on every replica, the abort record after the write
        self.assertEqual('true', self.newest('HEAD', OBJ))
        calls = self.swift.calls
        self.assertLess(calls.index(('PUT', MANIFEST_PUT)),
                        calls.index(('HEAD', ABORT_RECORD)))
        # the whole conversation: the record, the key, one listing (the
        # caller's read of the segments container, and then its info, which
        # the proxy would have cached), the manifest, the abort record and
        # the record's DELETE; the attempts the manifest does not name (1/1
        # older, 3 left out) are the reaper's, an hour later
        listing = self.attempts_listing()
        self.assertEqual([
            ('HEAD', '/v1/AUTH_test'), ('HEAD', '/v1/AUTH_test/bucket'),
            RECORD_HEAD, ('HEAD', OBJ), ('GET', listing), ('HEAD', SEGMENTS),
            ('PUT', MANIFEST_PUT), ('HEAD', ABORT_RECORD), ('DELETE', RECORD),
            ('PUT', SWEEP_TASK)],
            [c for c in calls if c[0] != 'TEST'])
        self.assertEqual([RECORD], self.deleted())
        self.assertEqual({'key': 'obj', 'default_days': 0, 'max_days': 0},
                         json.loads(self.sent('PUT', SWEEP_TASK)[1]))

    def test_nothing_left_out_nothing_queued(self):
        self.swift.register_container(SEGMENTS, [
            attempt_row(1, 2, etag=ETAGS[1], size=5 * MIB),
            attempt_row(2, 3, etag=ETAGS[2], size=7)])
        self.register_key()
        self.assertEqual(200, self.complete().status_int)
        self.assertNotIn(('PUT', SWEEP_TASK), self.swift.calls)
        self.assertEqual([RECORD], self.deleted())
        # the key is read once (X-Newest), before the manifest
        self.assertEqual(1, self.swift.calls.count(('HEAD', OBJ)))

    def test_sweep_delay_zero_frees_at_once(self):
        self.app.conf.sweep_delay = 0
        self.register_key((200, OURS))
        self.assertEqual(200, self.complete().status_int)
        self.assertEqual(sorted([RECORD, attempt_path(1, 1),
                                 attempt_path(3, 4)]),
                         sorted(self.deleted()))
        self.assertNotIn(('PUT', SWEEP_TASK), self.swift.calls)

    def test_written_above_what_the_key_holds(self):
        self.key_before = (404, {'X-Backend-Timestamp': '1764800000.12345'})
        self.register_key()
        self.assertEqual(200, self.complete().status_int)
        self.assertEqual('1764800000.12345_0000000000000001',
                         self.sent('PUT', MANIFEST_PUT)[0]['X-Timestamp'])

    def test_part_not_the_newest_attempt(self):
        self.register_key()
        resp = self.complete(((1, '9' * 32), (2, ETAGS[2])))
        self.assertS3Error(resp, 400, 'InvalidPart')
        self.assertNotIn(('PUT', MANIFEST_PUT), self.swift.calls)
        self.assertEqual([], self.deleted())

    def test_part_never_uploaded(self):
        self.register_key()
        resp = self.complete(((1, ETAGS[1]), (4, ETAGS[2])))
        self.assertS3Error(resp, 400, 'InvalidPart')

    def test_too_small(self):
        self.register_key()
        resp = self.complete(((2, ETAGS[2]), (3, '3' * 32)))
        self.assertS3Error(resp, 400, 'EntityTooSmall')

    def test_an_abort_began_first(self):
        self.swift._stored[ABORT_RECORD] = {
            'X-Timestamp': '1764720000.00000_0000000000000001'}
        # ours, then gone once we took it down
        self.register_key((200, OURS), (404, {}))
        self.swift.register('DELETE', OBJ, 204)
        resp = self.complete()
        self.assertS3Error(resp, 404, 'NoSuchUpload')
        # our own manifest goes again, at a timestamp that cannot remove
        # a later write
        index = self.swift.calls.index(('DELETE', OBJ))
        self.assertEqual('1764720000.00000_0000000000000002',
                         self.swift.headers[index]['X-Timestamp'])
        # the record went with the abort record's read (as the Abort takes
        # it down too)
        self.assertIn(RECORD, self.deleted())
        self.assertIn(attempt_path(1, 2), self.deleted())
        # Complete writes nothing to the abort record
        self.assertNotIn(('PUT', ABORT_RECORD), self.swift.calls)

    def test_an_abort_began_and_the_record_delete_failed(self):
        # the back-off does not wait on the record's DELETE
        self.swift._stored[ABORT_RECORD] = {
            'X-Timestamp': '1764720000.00000_0000000000000001'}
        self.register_key((200, OURS), (404, {}))
        self.swift.register('DELETE', OBJ, 204)
        self.swift.register('DELETE', RECORD, 503)
        resp = self.complete()
        self.assertS3Error(resp, 404, 'NoSuchUpload')
        self.assertIn(OBJ, self.deleted())
        self.assertIn(attempt_path(1, 2), self.deleted())

    def test_record_delete_failed(self):
        # no Abort: the object stands, the upload is not finished (a retry
        # finds the manifest and answers 200)
        self.register_key()
        self.swift.register('DELETE', RECORD, 503)
        resp = self.complete()
        self.assertS3Error(resp, 503, 'ServiceUnavailable')
        self.assertEqual([RECORD], self.deleted())

    def test_an_identical_manifest_was_there_first(self):
        # another Complete of these parts wrote it (our PUT was refused:
        # 202), then an Abort began: its object and parts stay
        self.swift._stored[ABORT_RECORD] = {
            'X-Timestamp': '1764720000.00000_0000000000000001'}
        self.register_key()
        # (SLO's heartbeat document: every object server refused it)
        self.swift.register('PUT', MANIFEST_PUT, 202, {}, {
            'Response Status': '202 Accepted', 'Errors': []})
        resp = self.complete()
        self.assertS3Error(resp, 404, 'NoSuchUpload')
        self.assertNotIn(OBJ, self.deleted())
        self.assertNotIn(attempt_path(1, 2), self.deleted())
        self.assertNotIn(attempt_path(2, 3), self.deleted())
        self.assertIn(attempt_path(3, 4), self.deleted())

    def test_an_abort_that_finished_left_its_tombstone(self):
        self.swift._stored[ABORT_RECORD] = {
            'X-Backend-Timestamp': '1764720000.00000_0000000000000002'}
        self.register_key()
        self.swift.register('DELETE', OBJ, 204)
        resp = self.complete()
        self.assertS3Error(resp, 404, 'NoSuchUpload')
        self.assertIn(('DELETE', OBJ), self.swift.calls)
        self.assertEqual('true', self.newest('HEAD', ABORT_RECORD))

    def test_an_older_tombstone_is_no_trace(self):
        # whatever a 404 says from before the upload began is not an Abort
        self.swift._stored[ABORT_RECORD] = {
            'X-Backend-Timestamp': '1764719999.00000'}
        self.register_key()
        self.assertEqual(200, self.complete().status_int)
        self.assertNotIn(('DELETE', OBJ), self.swift.calls)

    def test_retry_after_success(self):
        self.swift.register('HEAD', RECORD, 404)
        self.swift.register('HEAD', OBJ, 200, OURS)
        resp = self.complete()
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertNotIn(('PUT', MANIFEST_PUT), self.swift.calls)
        self.assertEqual([], self.deleted())

    def test_retry_after_a_complete_that_stopped(self):
        """The manifest is there and so is the record: the Complete that
        wrote it stopped before its last steps (its proxy died). The retry
        takes them: the abort record's read, the record's DELETE, the
        sweep of what the manifest does not name; no second manifest."""
        written = dict(OURS, **{'X-Backend-Timestamp':
                                '1764720000.00000_0000000000000001'})
        self.swift.register('HEAD', OBJ, 200, written)
        resp = self.complete()
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertNotIn(('PUT', MANIFEST_PUT), self.swift.calls)
        self.assertIn(('HEAD', ABORT_RECORD), self.swift.calls)
        self.assertEqual([RECORD], self.deleted())
        self.assertIn(('PUT', SWEEP_TASK), self.swift.calls)

    def test_retry_after_a_complete_that_stopped_and_an_abort(self):
        # an Abort began before the stopped Complete read the abort record:
        # the retry backs off for it (the Abort may have freed the parts)
        self.swift._stored[ABORT_RECORD] = {
            'X-Timestamp': '1764720000.00000_0000000000000001'}
        written = dict(OURS, **{'X-Backend-Timestamp':
                                '1764720000.00000_0000000000000001'})
        self.swift.register_then('HEAD', OBJ, (200, written), (200, written),
                                 (404, {}))
        self.swift.register('DELETE', OBJ, 204)
        resp = self.complete()
        self.assertS3Error(resp, 404, 'NoSuchUpload')
        index = self.swift.calls.index(('DELETE', OBJ))
        # above the manifest's own timestamp
        self.assertEqual('1764720000.00000_0000000000000003',
                         self.swift.headers[index]['X-Timestamp'])
        self.assertIn(attempt_path(1, 2), self.deleted())
        self.assertNotIn(('PUT', MANIFEST_PUT), self.swift.calls)

    def test_retry_with_other_parts(self):
        self.swift.register('HEAD', RECORD, 404)
        self.swift.register('HEAD', OBJ, 200, OURS)
        resp = self.complete(((1, ETAGS[1]),))
        self.assertS3Error(resp, 404, 'NoSuchUpload')

    def test_no_such_upload(self):
        self.swift.register('HEAD', RECORD, 404)
        self.swift.register('HEAD', OBJ, 404)
        resp = self.complete()
        self.assertS3Error(resp, 404, 'NoSuchUpload')
        self.assertNotIn(('PUT', MANIFEST_PUT), self.swift.calls)

    def test_a_later_write_was_there(self):
        # every object server refused the manifest: a later write holds
        # the key (as if completed, then overwritten)
        self.register_key((200, {'Etag': 'abc'}))
        self.swift.register('PUT', MANIFEST_PUT, 202, {}, {
            'Response Status': '202 Accepted', 'Errors': []})
        resp = self.complete()
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual([RECORD], self.deleted())
        # nothing names the attempts: the reaper frees them
        self.assertIn(('PUT', SWEEP_TASK), self.swift.calls)

    def test_an_identical_complete_was_there(self):
        self.register_key((200, OURS))
        self.swift.register('PUT', MANIFEST_PUT, 202, {}, {
            'Response Status': '202 Accepted', 'Errors': []})
        resp = self.complete()
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual([RECORD], self.deleted())

    def test_a_complete_of_other_parts_was_there(self):
        self.register_key((200, dict(OURS, **{
            'X-Object-Sysmeta-S3api-Etag': 'other-2'})))
        self.swift.register('PUT', MANIFEST_PUT, 202, {}, {
            'Response Status': '202 Accepted', 'Errors': []})
        resp = self.complete()
        self.assertS3Error(resp, 404, 'NoSuchUpload')
        # its parts are not ours to free
        self.assertEqual([RECORD], self.deleted())

    def test_conditions_use_the_key_read(self):
        """
        If-Match / If-None-Match compare the S3 ETag of what the Complete
        read of the key (with X-Newest), with no HEAD more (issue 12 item
        8).
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
        """
        self.key_before = (200, {'Etag': 'abc', 'X-Static-Large-Object':
                                 'True', 'X-Object-Sysmeta-S3api-Etag':
                                 'abc-2',
                                 'X-Backend-Timestamp': '1764720050.00000'})
        for headers in ({'If-None-Match': '"abc-2"'},
                        {'If-None-Match': '*'},
                        {'If-Match': '"other-2"'}):
            self.swift.calls[:] = []
            self.register_key()
            resp = self.complete(headers=headers)
            self.assertS3Error(resp, 412, 'PreconditionFailed')
            self.assertNotIn(('PUT', MANIFEST_PUT), self.swift.calls)
            self.assertEqual(1, self.swift.calls.count(('HEAD', OBJ)))
            self.assertEqual([], self.deleted())
        self.swift.calls[:] = []
        self.register_key()
        self.swift.register('GET', OBJ + '?multipart-manifest=get', 200,
                            OURS, self.manifest)
        resp = self.complete(headers={'If-Match': '"abc-2"',
                                      'If-None-Match': '"x-2"'})
        self.assertEqual(200, resp.status_int, resp.body)

    def test_a_write_raced_a_conditional_complete(self):
        """
        Every object server holds a write newer than our manifest: it came
        after the conditions were checked. 409 ConditionalRequestConflict,
        as AWS answers (issue 12 item 10); the upload stays in progress and
        nothing is freed.
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
        """
        for headers in ({'If-None-Match': '*'}, {'If-Match': '*'},
                        {'If-None-Match': '"x-2"'}):
            self.swift.calls[:] = []
            if 'If-Match' in headers:
                self.key_before = (200, {'Etag': 'abc', 'X-Backend-Timestamp':
                                         '1764720050.00000'})
            self.register_key((200, {'Etag': 'def'}))
            self.swift.register('PUT', MANIFEST_PUT, 202, {}, {
                'Response Status': '202 Accepted', 'Errors': []})
            resp = self.complete(headers=headers)
            self.assertS3Error(resp, 409, 'ConditionalRequestConflict')
            self.assertEqual([], self.deleted())
            self.assertNotIn(('PUT', SWEEP_TASK), self.swift.calls)

    def test_if_none_match_star_refused_on_the_write(self):
        # an object server that holds an object refuses If-None-Match: *
        self.register_key()
        self.swift.register('PUT', MANIFEST_PUT, 202, {}, {
            'Response Status': '412 Precondition Failed', 'Errors': []})
        resp = self.complete(headers={'If-None-Match': '*'})
        self.assertS3Error(resp, 409, 'ConditionalRequestConflict')
        self.assertEqual('*', self.sent('PUT', MANIFEST_PUT)[0][
            'If-None-Match'])
        self.assertEqual([], self.deleted())

    def slowed(self, calls, method='POST', user='test:tester'):
        """
        Complete, each of ``calls`` taking 10 ms in the backend.

        :returns: (response, [('start' or 'end', call)]).
        """
        events = []
        fake = type(self.swift).__call__

        def slow(swift, env, start_response):
            call = (env['REQUEST_METHOD'], env['PATH_INFO'] + (
                '?' + env['QUERY_STRING'] if env.get('QUERY_STRING')
                else ''))
            if call in calls:
                events.append(('start', call))
                sleep(0.01)
                events.append(('end', call))
            return fake(swift, env, start_response)
        with mock.patch.object(type(self.swift), '__call__', slow):
            resp = self.call(method, '/bucket/obj?uploadId=%s' % OUR_ID,
                             body=complete_xml(((1, ETAGS[1]),
                                                (2, ETAGS[2]))), user=user)
        return resp, events

    def test_first_reads_go_together(self):
        """The record, the key and the attempts listing (the caller's
        read of the segments container, that checks its permission) are
        read at once (issue 11: Complete waits for the slowest, not their
        sum)."""
        self.register_key()
        reads = {RECORD_HEAD, ('HEAD', OBJ), ('GET', self.attempts_listing())}
        resp, events = self.slowed(reads)
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual(['start'] * 3 + ['end'] * 3,
                         [e for e, _ in events], events)
        # no HEAD of the segments container for the permission (the one
        # the fake gets is the container's info, after the listing, that
        # a proxy has cached with the listing)
        self.assertEqual(1, self.swift.calls.count(('HEAD', SEGMENTS)))

    def test_no_read_answers_before_the_permission(self):
        # the reads find no upload (NoSuchUpload) sooner than the check
        # finds the caller may not write: AccessDenied, nothing written
        self.app = filter_factory({}, **self.conf)(
            FakeAuth(self.swift, read_only=['test:tester2']))
        self.swift.register('HEAD', RECORD, 404)
        self.register_key()
        resp, events = self.slowed({('GET', self.attempts_listing())},
                                   user='test:tester2')
        self.assertS3Error(resp, 403, 'AccessDenied')
        self.assertIn(RECORD_HEAD, self.swift.calls)   # it was read
        self.assertEqual([], self.writes())

    def test_record_goes_with_the_abort_check(self):
        """Once the manifest is written, the abort record's read and the
        record's DELETE go together (issue 11: one round trip less)."""
        self.register_key()
        resp, events = self.slowed({('HEAD', ABORT_RECORD),
                                    ('DELETE', RECORD)})
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual(['start'] * 2 + ['end'] * 2,
                         [e for e, _ in events], events)
        self.assertLess(self.swift.calls.index(('PUT', MANIFEST_PUT)),
                        self.swift.calls.index(('DELETE', RECORD)))

    # Without s3_acl the attempts listing is the caller's read of the
    # segments container: what Swift's auth answers it is the answer.

    def test_may_not_read(self):
        self.register_key()
        self.swift.register('GET', self.attempts_listing(), 403)
        resp = self.complete()
        self.assertS3Error(resp, 403, 'AccessDenied')
        self.assertEqual([], self.writes())

    def test_errors_of_the_reads_are_not_printed(self):
        # (eventlet's hub prints what leaves a green thread: Swift's
        # servers log it as a traceback)
        self.swift.register('HEAD', RECORD, 503)
        self.swift.register('HEAD', OBJ, 503)
        self.swift.register('GET', self.attempts_listing(), 403)
        with mock.patch('sys.stderr', io.StringIO()) as stderr:
            resp = self.complete()
        self.assertS3Error(resp, 403, 'AccessDenied')
        self.assertEqual('', stderr.getvalue())

    def test_no_segments_container(self):
        self.register_key()
        self.swift.register('GET', self.attempts_listing(), 404)
        resp = self.complete()
        self.assertS3Error(resp, 404, 'NoSuchBucket')
        self.assertEqual([], self.writes())


class TestOurCompleteS3Acl(OurLayoutTestCase):
    """Under s3_acl the bucket's ACL is checked (its HEAD) together with
    the first reads."""
    conf = {'upload_layout': 'immutable', 's3_acl': 'true'}

    def setUp(self):
        super().setUp()
        self.acl = {'X-Container-Sysmeta-S3api-Acl': json.dumps({
            'Owner': 'test:tester', 'Grant': [
                {'Permission': 'FULL_CONTROL', 'Grantee': 'test:tester'}]}),
            'X-Backend-Storage-Policy-Index': '0'}
        self.swift.register('HEAD', '/v1/AUTH_test/bucket', 204, self.acl)
        self.swift.register('HEAD', SEGMENTS, 204, self.acl)
        self.swift.register_container(SEGMENTS, [
            attempt_row(1, 1, etag=ETAGS[1], size=7)])
        self.register_record()
        self.swift.register_stored(ABORT_RECORD)
        self.swift.register('PUT', MANIFEST_PUT, 201)
        self.swift.register('DELETE', RECORD, 204)
        self.swift.register_then('HEAD', OBJ, (404, {}), (200, dict(
            OURS, **{'X-Object-Sysmeta-S3api-Etag':
                     mpu.multipart_etag([ETAGS[1]])})))

    def complete(self, user='test:tester'):
        return self.call('POST', '/bucket/obj?uploadId=%s' % OUR_ID,
                         body=complete_xml(((1, ETAGS[1]),)), user=user)

    def test_complete(self):
        resp = self.complete()
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertIn(('PUT', MANIFEST_PUT), self.swift.calls)

    def test_not_granted(self):
        self.swift.register('HEAD', '/v1/AUTH_test/bucket', 204, dict(
            self.acl, **{'X-Container-Sysmeta-S3api-Acl': json.dumps({
                'Owner': 'test:tester', 'Grant': [
                    {'Permission': 'READ', 'Grantee': 'test:tester2'}]})}))
        resp = self.complete(user='test:tester2')
        self.assertS3Error(resp, 403, 'AccessDenied')
        self.assertEqual([], self.writes())
