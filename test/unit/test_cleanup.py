"""What Complete, Abort and PutObject free, and what they never touch."""

import json

from test.unit.our_layout import OUR_ID
from test.unit.base import MultipartTestCase, MARKER, OBJ, SEGMENTS, \
    INDEX, \
    UPLOAD_ID, listing_page, part_row, ACCOUNT, BUCKET, FENCE
from test.unit.test_complete import ETAGS, LISTING_END, MANIFEST_PUT, \
    slo_result, complete_xml

OLD = 'T2xkVXBsb2FkSWQ='   # the upload the current object came from
OLD_MANIFEST = [
    {'name': '/bucket+segments/obj/%s/%d' % (OLD, n), 'bytes': 5,
     'hash': 'h', 'content_type': 'x', 'last_modified': 'y'}
    for n in (1, 2)] + [
    # an SLO may name other segments: never ours to delete
    {'name': '/elsewhere/seg', 'bytes': 5, 'hash': 'h',
     'content_type': 'x', 'last_modified': 'y'}]
MPU_HEAD = {'X-Static-Large-Object': 'true',
            'X-Object-Sysmeta-S3api-Upload-Id': OLD}


class TestSupersededByComplete(MultipartTestCase):
    def setUp(self):
        super().setUp()
        self.register_marker()
        rows = [part_row(1, ETAGS[1], 5 * 1024 * 1024),
                part_row(2, ETAGS[2], 10)]
        self.swift.register_listing(*listing_page(rows))
        self.swift.register_listing(*LISTING_END)
        self.swift.register('PUT', MANIFEST_PUT, 202, {}, slo_result())
        self.swift.register('DELETE', MARKER, 204)
        for n in (1, 2):
            self.swift.register('DELETE', '%s/obj/%s/%d' % (SEGMENTS, OLD, n),
                                204)

    def complete(self):
        return self.call('POST', '/bucket/obj?uploadId=%s' % UPLOAD_ID,
                         body=complete_xml([(1, ETAGS[1]), (2, ETAGS[2])]))

    def test_old_upload_segments_freed_after_the_write(self):
        self.swift.register('HEAD', OBJ, 200, MPU_HEAD)
        self.swift.register('GET', OBJ + '?multipart-manifest=get', 200, {},
                            json.dumps(OLD_MANIFEST).encode())
        resp = self.complete()
        self.assertEqual(200, resp.status_int, resp.body)
        calls = self.swift.calls
        self.assertLess(calls.index(('GET', OBJ + '?multipart-manifest=get')),
                        calls.index(('PUT', MANIFEST_PUT)))
        self.assertEqual(sorted([
            ('DELETE', '%s/obj/%s/1' % (SEGMENTS, OLD)),
            ('DELETE', '%s/obj/%s/2' % (SEGMENTS, OLD)),
        ]), sorted(calls[-2:]))
        self.assertNotIn(('DELETE', ACCOUNT + '/elsewhere/seg'), calls)

    def test_versioned_bucket_keeps_old_segments(self):
        self.swift.register('HEAD', BUCKET, 204, {
            'X-Backend-Storage-Policy-Index': '0',
            'X-Container-Sysmeta-Versions-Container': 'v'})
        self.swift.register('HEAD', ACCOUNT + '/v', 204)   # s3api looks
        resp = self.complete()
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertNotIn(('HEAD', OBJ), self.swift.calls)
        self.assertEqual([('DELETE', MARKER), ('DELETE', FENCE)],
                         self.swift.calls[-2:])

    def test_plain_object_replaced(self):
        self.swift.register('HEAD', OBJ, 200, {'Etag': 'abc'})
        resp = self.complete()
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual([('DELETE', MARKER), ('DELETE', FENCE)],
                         self.swift.calls[-2:])

    def test_failure_to_free_is_not_an_error(self):
        self.swift.register('HEAD', OBJ, 200, MPU_HEAD)
        self.swift.register('GET', OBJ + '?multipart-manifest=get', 200, {},
                            json.dumps(OLD_MANIFEST).encode())
        self.swift.register('DELETE', '%s/obj/%s/1' % (SEGMENTS, OLD), 503)
        resp = self.complete()
        self.assertEqual(200, resp.status_int, resp.body)


class TestSupersededByPutObject(MultipartTestCase):
    def put_over(self, head=MPU_HEAD):
        """PutObject over a multipart object whose HEAD answers ``head``."""
        self.swift.register('HEAD', OBJ, 200, head)
        self.swift.register('GET', OBJ + '?multipart-manifest=get', 200, {},
                            json.dumps(OLD_MANIFEST).encode())
        self.swift.register('PUT', OBJ, 201, {'Etag': 'abc'})
        for n in (1, 2):
            self.swift.register('DELETE', '%s/obj/%s/%d' % (SEGMENTS, OLD, n),
                                204)
        return self.call('PUT', '/bucket/obj', body=b'new')

    def test_put_over_multipart_object(self):
        resp = self.put_over()
        self.assertEqual(200, resp.status_int, resp.body)
        calls = self.object_calls()
        self.assertEqual([
            ('HEAD', SEGMENTS),                       # any MPU at all?
            ('HEAD', OBJ),                            # this one?
            ('GET', OBJ + '?multipart-manifest=get'),  # its parts
            ('PUT', OBJ),
        ], calls[:4])
        self.assertEqual(sorted([
            ('DELETE', '%s/obj/%s/1' % (SEGMENTS, OLD)),
            ('DELETE', '%s/obj/%s/2' % (SEGMENTS, OLD)),
        ]), sorted(calls[4:]))

    def object_calls(self):
        """The calls after s3api's authentication and container info."""
        return [call for call in self.swift.calls if call not in (
            ('TEST', ACCOUNT), ('HEAD', ACCOUNT), ('HEAD', BUCKET))]

    def test_bucket_without_uploads_costs_nothing_more(self):
        self.swift.register('HEAD', SEGMENTS, 404)
        self.swift.register('PUT', OBJ, 201, {'Etag': 'abc'})
        resp = self.call('PUT', '/bucket/obj', body=b'new')
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual([('HEAD', SEGMENTS), ('PUT', OBJ)],
                         self.object_calls())


class TestDeleteBucket(MultipartTestCase):
    def test_segments_deleted_in_parallel_then_the_containers(self):
        self.swift.register('HEAD', BUCKET, 204, {
            'X-Backend-Storage-Policy-Index': '0',
            'X-Container-Object-Count': '0'})
        names = ['gone/%s/%d' % (OLD, n) for n in range(1, 21)]
        self.swift.register_container(SEGMENTS, [
            {'name': name, 'hash': 'h', 'bytes': 1, 'content_type': 'x',
             'last_modified': '2026-11-21T10:00:00.000000'}
            for name in names])
        for name in names:
            self.swift.register('DELETE', '%s/%s' % (SEGMENTS, name), 204)
        self.swift.register('DELETE', SEGMENTS, 204)
        self.swift.register('DELETE', BUCKET, 204)
        # an upload of our layout in progress: its record goes first
        record = INDEX + '/\x00k\x00' + OUR_ID
        self.swift.register_then('GET', INDEX + '?format=json&limit=1000'
                                 '&prefix=%00', (200, {}, [
                                     {'name': record[len(INDEX) + 1:]}]),
                                 (200, {}, []))
        self.swift.register('DELETE', record, 204)
        self.swift.register('DELETE', INDEX, 204)
        resp = self.call('DELETE', '/bucket')
        self.assertEqual(204, resp.status_int, resp.body)
        deleted = [path for method, path in self.swift.calls
                   if method == 'DELETE']
        self.assertEqual([record, INDEX], deleted[:2])
        self.assertEqual('true', self.sent('DELETE', INDEX)[0][
            'X-Backend-Allow-Reserved-Names'])
        deleted = deleted[2:]
        self.assertEqual(sorted('%s/%s' % (SEGMENTS, n) for n in names),
                         sorted(deleted[:-2]))
        self.assertEqual(['DELETE'] * 2, [
            m for m, _ in self.swift.calls[-2:]])
        self.assertEqual([SEGMENTS, BUCKET], deleted[-2:])

    def test_bucket_not_empty(self):
        self.swift.register('HEAD', BUCKET, 204, {
            'X-Backend-Storage-Policy-Index': '0',
            'X-Container-Object-Count': '1'})
        resp = self.call('DELETE', '/bucket')
        self.assertS3Error(resp, 409, 'BucketNotEmpty')
        self.assertNotIn('DELETE', self.methods_besides_fence())


OWNER_ACL = json.dumps({'Owner': 'test:tester', 'Grant': [
    {'Permission': 'FULL_CONTROL', 'Grantee': 'test:tester'}]})


class TestSupersededUnderS3Acl(TestSupersededByPutObject):
    """
    The same under s3_acl, where the object controller's ACL handler has
    no rule for our DELETEs in +segments: they raised (a traceback in the
    log) and the parts stayed for good (issue 12 item 2).
    """
    conf = {'s3_acl': 'true'}

    def setUp(self):
        super().setUp()
        self.swift.register('HEAD', BUCKET, 204, {
            'X-Container-Sysmeta-S3api-Acl': OWNER_ACL,
            'X-Backend-Storage-Policy-Index': '0'})
        self.swift.register('HEAD', SEGMENTS, 204, {
            'X-Container-Sysmeta-S3api-Acl': OWNER_ACL})

    def test_put_over_multipart_object(self):
        resp = self.put_over(dict(MPU_HEAD, **{
            'X-Object-Sysmeta-S3api-Acl': OWNER_ACL}))
        self.assertEqual(200, resp.status_int, resp.body)
        calls = self.swift.calls
        self.assertEqual(sorted([
            ('DELETE', '%s/obj/%s/1' % (SEGMENTS, OLD)),
            ('DELETE', '%s/obj/%s/2' % (SEGMENTS, OLD)),
        ]), sorted(calls[calls.index(('PUT', OBJ)) + 1:]))
        # the client's own write was checked against the bucket ACL
        self.assertLess(calls.index(('HEAD', BUCKET)), calls.index(
            ('PUT', OBJ)))
