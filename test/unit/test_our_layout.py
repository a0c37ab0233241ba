"""Create, UploadPart, ListParts and Abort of uploads of our layout."""

from swift.common.middleware.s3api.etree import fromstring

from swift3_multipart import layout, mpu
from swift3_multipart.middleware import filter_factory
from test.unit.base import AUTH_CALLS, BUCKET, OBJ, SEGMENTS
from test.unit.helpers import FakeAuth
from test.unit.test_complete import complete_xml
from test.unit.our_layout import OurLayoutTestCase, OUR_ID, INDEX, \
    RECORD, ABORT_RECORD, ETAG, attempt, attempt_path, attempt_row, \
    manifest_body

CRC32_SYSMETA = 'X-Object-Sysmeta-S3api-Checksum-Algorithm'


class TestCreate(OurLayoutTestCase):
    def test_create_writes_the_record_only(self):
        self.swift.register('PUT', RECORD, 201)
        resp = self.call('POST', '/bucket/obj?uploads', headers={
            'Content-Type': 'text/plain', 'x-amz-meta-color': 'blue'})
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual(OUR_ID, fromstring(
            resp.body, 'InitiateMultipartUploadResult').find(
                './UploadId').text)
        headers, body = self.sent('PUT', RECORD)
        self.assertEqual(b'', body)
        self.assertEqual('true', headers['X-Backend-Allow-Reserved-Names'])
        self.assertEqual('blue', headers['X-Object-Meta-Color'])
        self.assertEqual('text/plain',
                         headers['X-Object-Sysmeta-S3api-Content-Type'])
        self.assertIn('initiator=test%3Atester', headers['Content-Type'])
        # nothing in the segments container: no marker, no fence
        self.assertEqual([], [call for call in self.swift.calls
                              if call[0] == 'PUT' and
                              call[1].startswith(SEGMENTS)])

    def test_first_create_makes_the_index(self):
        self.swift.register_then('PUT', RECORD, (404, {}), (201, {}))
        self.swift.register('PUT', INDEX, 201)
        resp = self.call('POST', '/bucket/obj?uploads')
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual([('PUT', RECORD), ('PUT', INDEX), ('PUT', RECORD)],
                         [c for c in self.swift.calls if c[0] == 'PUT'])
        self.assertEqual('true', self.sent('PUT', INDEX)[0][
            'X-Backend-Allow-Reserved-Names'])

    def test_index_failing_is_503_not_500(self):
        self.swift.register('PUT', RECORD, 507)
        resp = self.call('POST', '/bucket/obj?uploads')
        self.assertS3Error(resp, 500, 'InternalError')
        self.swift.register('PUT', RECORD, 503)
        resp = self.call('POST', '/bucket/obj?uploads')
        self.assertS3Error(resp, 503, 'ServiceUnavailable')

    def test_user_who_may_not_write(self):
        self.app = filter_factory({}, **self.conf)(
            FakeAuth(self.swift, read_only=['test:tester2']))
        resp = self.call('POST', '/bucket/obj?uploads', user='test:tester2')
        self.assertS3Error(resp, 403, 'AccessDenied')
        self.assertNotIn(('PUT', RECORD), self.swift.calls)

    def test_key_length_leaves_room_for_attempt_names(self):
        longest = 1024 - layout.PART_NAME_OVERHEAD
        self.swift.register('PUT', INDEX + '/\x00' + 'k' * longest + '\x00' +
                            OUR_ID, 201)
        self.swift.register('HEAD', BUCKET + '/' + 'k' * longest, 404)
        resp = self.call('POST', '/bucket/%s?uploads' % ('k' * longest))
        self.assertEqual(200, resp.status_int, resp.body)
        resp = self.call('POST', '/bucket/%s?uploads' % ('k' * (longest + 1)))
        self.assertS3Error(resp, 400, 'KeyTooLongError')
        self.assertIn(b'keys of up to %d bytes' % longest, resp.body)


class TestUploadPart(OurLayoutTestCase):
    def put(self, number=1, body=b'a', headers=None):
        return self.call('PUT', '/bucket/obj?partNumber=%d&uploadId=%s'
                         % (number, OUR_ID), body=body, headers=headers)

    def test_one_write_and_one_read(self):
        self.swift.register('PUT', attempt_path(3), 201, {'Etag': ETAG})
        self.register_record()
        resp = self.put(3)
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual('"%s"' % ETAG, resp.headers['ETag'])
        self.assertEqual(AUTH_CALLS + [
            ('PUT', attempt_path(3)),   # a new object, never overwritten
            ('HEAD', RECORD),           # then: still in progress?
        ], self.swift.calls)
        self.assertEqual('true', self.newest('HEAD', RECORD))
        self.assertEqual(b'a', self.sent('PUT', attempt_path(3))[1])

    def test_copy_of_a_source_version(self):
        # the copy source's ?versionId= is the source's: our look-ups of
        # the record go without it (object versioning answers 400 to a
        # version-id on a reserved name)
        src = '/v1/AUTH_test/src/key?version-id=v1'
        # (s3api authenticates with the query it made)
        self.swift.register('TEST', '/v1/AUTH_test?version-id=v1', 204)
        self.swift.register('HEAD', src, 200, {
            'Content-Length': '5', 'Etag': ETAG,
            'Last-Modified': 'Sat, 21 Nov 2026 10:00:00 GMT'})
        # (Swift's copy middleware reads that version of the source)
        put = attempt_path(1) + '?version-id=v1'
        self.swift.register('PUT', put, 201, {
            'Etag': ETAG, 'Last-Modified': 'Sat, 21 Nov 2026 11:00:00 GMT'})
        self.register_record()
        resp = self.put(headers={
            'X-Amz-Copy-Source': '/src/key?versionId=v1'})
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual([('HEAD', src), ('PUT', put), ('HEAD', RECORD)],
                         [c for c in self.swift.calls if c not in AUTH_CALLS
                          and c[0] != 'TEST'])
        self.assertEqual('/src/key', self.sent('PUT', put)[0]['X-Copy-From'])

    def test_again_is_another_attempt(self):
        self.swift.register('PUT', attempt_path(1, 1), 201, {'Etag': ETAG})
        self.swift.register('PUT', attempt_path(1, 2), 201, {'Etag': ETAG})
        self.register_record()
        self.assertEqual(200, self.put().status_int)
        self.assertEqual(200, self.put().status_int)
        self.assertEqual(2, len([c for c in self.swift.calls
                                 if c[0] == 'PUT']))

    def test_after_abort_or_complete_the_attempt_goes(self):
        self.swift.register('PUT', attempt_path(1), 201, {'Etag': ETAG})
        self.swift.register('HEAD', RECORD, 404)
        self.swift.register('HEAD', OBJ, 404)
        self.swift.register('DELETE', attempt_path(1), 204)
        resp = self.put()
        self.assertS3Error(resp, 404, 'NoSuchUpload')
        self.assertEqual(AUTH_CALLS + [
            ('PUT', attempt_path(1)), ('HEAD', RECORD),
            ('HEAD', OBJ),                  # not a manifest naming it
            ('DELETE', attempt_path(1)),    # our own attempt, no other
        ], self.swift.calls)

    def test_a_concurrent_complete_took_it(self):
        self.swift.register('PUT', attempt_path(1), 201, {'Etag': ETAG})
        self.swift.register('HEAD', RECORD, 404)
        self.swift.register('HEAD', OBJ, 200, {
            'X-Static-Large-Object': 'True',
            layout.OUR_UPLOAD_ID_SYSMETA: OUR_ID})
        self.swift.register('GET', OBJ + '?multipart-manifest=get', 200, {
            'X-Static-Large-Object': 'True',
            layout.OUR_UPLOAD_ID_SYSMETA: OUR_ID}, manifest_body(attempt(1)))
        resp = self.put()
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertNotIn(('DELETE', attempt_path(1)), self.swift.calls)

    def test_completed_without_it(self):
        self.swift.register('PUT', attempt_path(1, 1), 201, {'Etag': ETAG})
        self.swift.register('HEAD', RECORD, 404)
        self.swift.register('HEAD', OBJ, 200, {
            layout.OUR_UPLOAD_ID_SYSMETA: OUR_ID})
        self.swift.register('GET', OBJ + '?multipart-manifest=get', 200, {
            layout.OUR_UPLOAD_ID_SYSMETA: OUR_ID},
            manifest_body(attempt(1, 7)))
        self.swift.register('DELETE', attempt_path(1, 1), 204)
        resp = self.put()
        self.assertS3Error(resp, 404, 'NoSuchUpload')
        self.assertIn(('DELETE', attempt_path(1, 1)), self.swift.calls)

    def test_declared_checksum_missing(self):
        self.swift.register('PUT', attempt_path(1), 201, {'Etag': ETAG})
        self.register_record({CRC32_SYSMETA: 'CRC32'})
        self.swift.register('DELETE', attempt_path(1), 204)
        resp = self.put()
        self.assertS3Error(resp, 400, 'InvalidRequest')
        self.assertIn(b'CRC32 checksum algorithm', resp.body)
        self.assertIn(('DELETE', attempt_path(1)), self.swift.calls)

    def test_declared_checksum_given(self):
        self.swift.register('PUT', attempt_path(1), 201, {'Etag': ETAG})
        self.register_record({CRC32_SYSMETA: 'CRC32'})
        resp = self.put(body=b'a', headers={
            'x-amz-checksum-crc32': '6Le+Qw=='})
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual('6Le+Qw==', resp.headers['x-amz-checksum-crc32'])
        self.assertEqual('6Le+Qw==', self.sent('PUT', attempt_path(1))[0][
            'X-Object-Sysmeta-S3api-Checksum-Crc32'])

    def test_key_too_long_for_an_attempt(self):
        # Create refuses keys whose attempts would not fit: nothing of
        # such a key is written
        key = 'k' * 1000
        resp = self.call('PUT', '/bucket/%s?partNumber=1&uploadId=%s' % (
            key, OUR_ID), body=b'a')
        self.assertS3Error(resp, 404, 'NoSuchUpload')
        self.assertEqual([], [c for c in self.swift.calls
                              if c[0] in ('PUT', 'DELETE')])

    def test_segments_container_gone(self):
        self.swift.register('PUT', attempt_path(1), 404)
        resp = self.put()
        self.assertS3Error(resp, 404, 'NoSuchUpload')


class TestKeyTooLongForAnUpload(OurLayoutTestCase):
    """Create refuses a key whose attempts would not fit
    (KeyTooLongError), so no upload of it exists: ListParts, Abort and
    Complete answer NoSuchUpload once the caller's permission is checked,
    with no read of the upload (its listing query, prefix and marker of
    4 KiB each, would not fit in a backend server's request line: 414)."""

    def test_every_operation(self):
        for key in ('k' * (1025 - layout.PART_NAME_OVERHEAD), 'k' * 4096):
            for method, body in (('GET', b''), ('DELETE', b''),
                                 ('POST', complete_xml(((1, ETAG),)))):
                with self.subTest(method=method, key_length=len(key)):
                    del self.swift.calls[:]
                    resp = self.call(method, '/bucket/%s?uploadId=%s' % (
                        key, OUR_ID), body=body)
                    self.assertS3Error(resp, 404, 'NoSuchUpload')
                    # only the permission check: the segments container's
                    # HEAD (and its info, for a write)
                    self.assertEqual({('HEAD', SEGMENTS)}, {
                        c for c in self.swift.calls
                        if c not in AUTH_CALLS})
        self.assertEqual([], self.swift.unexpected)


class TestListParts(OurLayoutTestCase):
    def setUp(self):
        super().setUp()
        self.swift.register_container(SEGMENTS, [
            attempt_row(1, 1, etag='1' * 32), attempt_row(1, 4, etag='4' * 32),
            attempt_row(2, 2, etag='2' * 32, size=7),
            attempt_row(10, 3, etag='3' * 32),
            # the abort record is not a part, nor another upload's rows
            {'name': ABORT_RECORD[len(SEGMENTS) + 1:], 'hash': ETAG,
             'bytes': 0, 'last_modified': '2026-12-03T00:00:00.000000',
             'content_type': 'application/octet-stream'},
            dict(attempt_row(1), name='obj/other/00001/%021d' % 1)])
        self.register_record()

    def parts(self, query=''):
        resp = self.call('GET', '/bucket/obj?uploadId=%s%s' % (OUR_ID,
                                                               query))
        self.assertEqual(200, resp.status_int, resp.body)
        elem = fromstring(resp.body, 'ListPartsResult')
        return elem, [(int(p.find('./PartNumber').text),
                       p.find('./ETag').text, int(p.find('./Size').text))
                      for p in elem.findall('./Part')]

    def test_newest_attempt_of_each_part(self):
        elem, parts = self.parts()
        self.assertEqual([(1, '"%s"' % ('4' * 32), 5),
                          (2, '"%s"' % ('2' * 32), 7),
                          (10, '"%s"' % ('3' * 32), 5)], parts)
        self.assertEqual('false', elem.find('./IsTruncated').text)
        self.assertEqual('test:tester',
                         elem.find('./Initiator/ID').text)
        self.assertEqual('true', self.newest('HEAD', RECORD))

    def listings(self):
        return [path for method, path in self.swift.calls
                if method == 'GET' and path.startswith(SEGMENTS + '?')]

    def test_pages(self):
        elem, parts = self.parts('&max-parts=1')
        self.assertEqual([1], [p[0] for p in parts])
        self.assertEqual('"%s"' % ('4' * 32), parts[0][1])
        self.assertEqual('true', elem.find('./IsTruncated').text)
        self.assertEqual('1', elem.find('./NextPartNumberMarker').text)
        # a page of one part reads two rows (the second tells whether
        # part 1 has a newer attempt); part 1 had one, so one row more
        self.assertEqual([
            self.attempts_listing(0, limit=2),
            self.attempts_listing(limit=1, marker=attempt(1, 4))],
            self.listings())
        del self.swift.calls[:]
        elem, parts = self.parts('&max-parts=1&part-number-marker=1')
        self.assertEqual([2], [p[0] for p in parts])
        # the listing starts after part 1: its rows are not read again
        self.assertEqual([self.attempts_listing(1, limit=2)],
                         self.listings())
        elem, parts = self.parts('&part-number-marker=2')
        self.assertEqual([10], [p[0] for p in parts])
        self.assertEqual('false', elem.find('./IsTruncated').text)

    def test_no_such_upload(self):
        self.swift.register('HEAD', RECORD, 404)
        resp = self.call('GET', '/bucket/obj?uploadId=%s' % OUR_ID)
        self.assertS3Error(resp, 404, 'NoSuchUpload')


class TestAbort(OurLayoutTestCase):
    def setUp(self):
        super().setUp()
        self.swift.register_stored(ABORT_RECORD)
        self.swift.register_container(SEGMENTS, [
            attempt_row(1, 1), attempt_row(1, 2), attempt_row(2, 3)])
        for n, number in ((1, 1), (2, 1), (3, 2)):
            self.swift.register('DELETE', attempt_path(number, n), 204)

    def abort(self):
        return self.call('DELETE', '/bucket/obj?uploadId=%s' % OUR_ID)

    def record_writes(self):
        """(method, X-Timestamp) of each write of the abort record."""
        return [(call[0], self.swift.headers[i]['X-Timestamp'])
                for i, call in enumerate(self.swift.calls)
                if call[1] == ABORT_RECORD and call[0] in ('PUT', 'DELETE')]

    def test_abort_of_an_upload_in_progress(self):
        self.register_record()
        self.swift.register('DELETE', RECORD, 204)
        resp = self.abort()
        self.assertEqual(204, resp.status_int, resp.body)
        calls = self.swift.calls
        # the flag first, then the record goes, then the key is read
        self.assertLess(calls.index(('PUT', ABORT_RECORD)),
                        calls.index(('DELETE', RECORD)))
        self.assertLess(calls.index(('DELETE', RECORD)),
                        calls.index(('HEAD', OBJ)))
        self.assertEqual('true', self.newest('HEAD', OBJ))
        deletes = [i for i, c in enumerate(calls) if c[0] == 'DELETE' and
                   c[1].startswith(SEGMENTS + '/obj/2.')
                   and c[1] != ABORT_RECORD]
        self.assertEqual(3, len(deletes))
        # written once, just above the initiation (the same timestamp for
        # every Abort of the upload), and kept: the trace a Complete reads
        self.assertEqual([('PUT', '1764720000.00000_0000000000000001')],
                         self.record_writes())

    def test_abort_finds_the_upload_completed(self):
        # a racing Complete's manifest: its parts stay, the Abort
        # answers 204 (both may succeed)
        self.register_record()
        self.swift.register('DELETE', RECORD, 204)
        self.swift.register('HEAD', OBJ, 200, {
            layout.OUR_UPLOAD_ID_SYSMETA: OUR_ID})
        self.swift.register('GET', OBJ + '?multipart-manifest=get', 200, {
            layout.OUR_UPLOAD_ID_SYSMETA: OUR_ID},
            manifest_body(attempt(1, 2), attempt(2, 3)))
        resp = self.abort()
        self.assertEqual(204, resp.status_int, resp.body)
        # only the attempt the manifest does not name goes
        self.assertEqual([('DELETE', attempt_path(1, 1))],
                         [c for c in self.swift.calls if c[0] == 'DELETE'
                          and c[1].startswith(SEGMENTS)
                          and c[1] != ABORT_RECORD])

    def test_no_such_upload(self):
        self.swift.register('HEAD', RECORD, 404)
        resp = self.abort()
        self.assertS3Error(resp, 404, 'NoSuchUpload')
        self.assertEqual([], self.record_writes())
        self.assertEqual([], [c for c in self.swift.calls
                              if c[0] == 'DELETE'])

    def test_finishes_an_abort_that_stopped(self):
        self.swift.register('HEAD', RECORD, 404)
        self.swift._stored[ABORT_RECORD] = {
            'X-Timestamp': '1764720000.00000_0000000000000001'}
        resp = self.abort()
        self.assertEqual(204, resp.status_int, resp.body)
        self.assertEqual([], self.record_writes())
        self.assertIn(('DELETE', attempt_path(2, 3)), self.swift.calls)

    def test_again_frees_what_a_racing_upload_part_left(self):
        self.swift.register('HEAD', RECORD, 404)
        self.swift._stored[ABORT_RECORD] = {
            'X-Backend-Timestamp': '1764720000.00000_0000000000000002'}
        resp = self.abort()
        self.assertEqual(204, resp.status_int, resp.body)
        # the tombstone stays as it is
        self.assertEqual([], [w for w in self.record_writes()
                              if w[0] == 'PUT'])
        # and once nothing is left: NoSuchUpload
        self.swift.register_container(SEGMENTS, [])
        resp = self.abort()
        self.assertS3Error(resp, 404, 'NoSuchUpload')

    def test_user_who_may_not_write(self):
        self.app = filter_factory({}, **self.conf)(
            FakeAuth(self.swift, read_only=['test:tester2']))
        self.register_record()
        resp = self.call('DELETE', '/bucket/obj?uploadId=%s' % OUR_ID,
                         user='test:tester2')
        self.assertS3Error(resp, 403, 'AccessDenied')
        self.assertEqual([], self.record_writes())
        self.assertNotIn(('DELETE', RECORD), self.swift.calls)


class TestListUploads(OurLayoutTestCase):
    LATER = '2.176472000100000' + 'fedcba9876543210'

    def setUp(self):
        super().setUp()

        def record(key, upload_id):
            return {'name': layout.record_name(key, upload_id), 'hash': '',
                    'bytes': 0, 'last_modified': '2026-12-03T00:00:00',
                    'content_type': mpu.marker_content_type('test:tester2')}
        self.swift.register_container(INDEX, [
            record('obj', OUR_ID), record('obj', self.LATER),
            record('z/1', OUR_ID)])
        # an upload begun by a stock proxy, and an attempt of ours
        self.swift.register_container(SEGMENTS, [
            {'name': 'b/VXBsb2Fk', 'hash': '', 'bytes': 0,
             'last_modified': '2026-11-21T10:00:00.000000',
             'content_type': 'application/directory'},
            attempt_row(1)])

    def uploads(self, query=''):
        resp = self.call('GET', '/bucket?uploads' + query)
        self.assertEqual(200, resp.status_int, resp.body)
        elem = fromstring(resp.body, 'ListMultipartUploadsResult')
        return elem, [(u.find('./Key').text, u.find('./UploadId').text)
                      for u in elem.findall('./Upload')]

    def test_both_layouts_in_key_order(self):
        elem, uploads = self.uploads()
        self.assertEqual([('b', 'VXBsb2Fk'), ('obj', OUR_ID),
                          ('obj', self.LATER), ('z/1', OUR_ID)], uploads)
        self.assertEqual('test:tester2', elem.findall(
            './Upload')[1].find('./Initiator/ID').text)
        # initiation time from the upload id
        self.assertEqual('2025-12-03T00:00:00.000Z', elem.findall(
            './Upload')[1].find('./Initiated').text)

    def test_pages(self):
        elem, uploads = self.uploads('&max-uploads=2')
        self.assertEqual([('b', 'VXBsb2Fk'), ('obj', OUR_ID)], uploads)
        self.assertEqual('obj', elem.find('./NextKeyMarker').text)
        self.assertEqual(OUR_ID, elem.find('./NextUploadIdMarker').text)
        elem, uploads = self.uploads(
            '&max-uploads=2&key-marker=obj&upload-id-marker=' + OUR_ID)
        self.assertEqual([('obj', self.LATER), ('z/1', OUR_ID)], uploads)
        elem, uploads = self.uploads('&key-marker=obj')
        self.assertEqual([('z/1', OUR_ID)], uploads)

    def test_without_the_stock_layout(self):
        # list_stock_uploads = false: the index alone, no listing of the
        # segments container (only its HEAD, for the permission)
        self.app = filter_factory({}, **dict(
            self.conf, list_stock_uploads='false'))(FakeAuth(self.swift))
        self.swift.register('HEAD', SEGMENTS, 204)
        elem, uploads = self.uploads('&max-uploads=2')
        self.assertEqual([('obj', OUR_ID), ('obj', self.LATER)], uploads)
        self.assertEqual([], [c for c in self.swift.calls if c[0] == 'GET'
                              and c[1].startswith(SEGMENTS)])
        listings = [c for c in self.swift.calls if c[0] == 'GET'
                    and c[1].startswith(INDEX)]
        self.assertEqual(1, len(listings))
        self.assertIn('limit=3', listings[0][1])

    def test_without_the_stock_layout_nor_uploads(self):
        self.app = filter_factory({}, **dict(
            self.conf, list_stock_uploads='false'))(FakeAuth(self.swift))
        self.swift.register('HEAD', SEGMENTS, 404)
        self.swift.register_container(INDEX, [])
        self.assertEqual([], self.uploads()[1])

    def test_without_the_stock_layout_may_not_read(self):
        self.app = filter_factory({}, **dict(
            self.conf, list_stock_uploads='false'))(FakeAuth(self.swift))
        self.swift.register('HEAD', SEGMENTS, 403)
        resp = self.call('GET', '/bucket?uploads')
        self.assertS3Error(resp, 403, 'AccessDenied')

    def test_prefix_and_delimiter(self):
        elem, uploads = self.uploads('&prefix=z/')
        self.assertEqual([('z/1', OUR_ID)], uploads)
        elem, uploads = self.uploads('&delimiter=/')
        self.assertEqual([('b', 'VXBsb2Fk'), ('obj', OUR_ID),
                          ('obj', self.LATER)], uploads)
        self.assertEqual(['z/'], [p.text for p in elem.findall(
            './CommonPrefixes/Prefix')])
