"""Complete writes the SLO manifest itself, below SLO, when it can."""

import hashlib
import json

from swift.common.middleware import slo
from swift.common.middleware.s3api.etree import fromstring

from swift3_multipart import mpu
from swift3_multipart.middleware import filter_factory
from test.unit.base import MultipartTestCase, AUTH_CALLS, MARKER, OBJ, \
    FENCE, PREVIOUS_OBJECT_CALLS, UPLOAD_ID, listing_page, part_row, part_path
from test.unit.helpers import FakeAuth
from test.unit.test_complete import ETAGS, LISTING_END, complete_xml

MIB = 1024 * 1024
SEGMENT_PATH = '/bucket+segments/obj/%s/%%d' % UPLOAD_ID


class TestCompleteBelowSlo(MultipartTestCase):
    read_only = ()

    def setUp(self):
        super().setUp()
        # the pipeline as deployed: s3api, auth, SLO, the rest of Swift
        self.auth = FakeAuth(slo.filter_factory(
            {}, max_manifest_segments='10000')(self.swift),
            read_only=self.read_only)
        self.app = filter_factory({}, **dict(self.conf))(self.auth)
        self.rows = [
            part_row(1, ETAGS[1], 5 * MIB, '2026-11-21T10:00:00.250000'),
            part_row(2, ETAGS[2], 10, '2026-11-21T10:00:01.000000')]
        self.swift.register_listing(*listing_page(self.rows))
        self.swift.register_listing(*LISTING_END)
        self.register_marker({
            'X-Object-Sysmeta-S3api-Has-Content-Type': 'yes',
            'X-Object-Sysmeta-S3api-Content-Type': 'text/plain',
            'X-Object-Meta-Color': 'blue'})
        self.swift.register('DELETE', MARKER, 204)

    def complete(self, parts):
        return self.call('POST', '/bucket/obj?uploadId=%s' % UPLOAD_ID,
                         body=complete_xml(parts))

    def test_manifest_written_as_slo_would(self):
        self.swift.register('PUT', OBJ, 201)
        resp = self.complete([(1, ETAGS[1]), (2, ETAGS[2])])
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual(AUTH_CALLS + [
            ('HEAD', MARKER),                   # in progress
            ('GET', listing_page([])[0]),       # the listing vouches for
            ('GET', LISTING_END[0]),            # every part: no HEADs
            ('HEAD', FENCE),                    # this Complete alone,
            ('PUT', FENCE),                     # and no UploadPart
            ('HEAD', FENCE),                    # from now on
            ('GET', listing_page([])[0]),       # so the listing again
            ('GET', LISTING_END[0]),
        ] + PREVIOUS_OBJECT_CALLS + [
            ('HEAD', MARKER),                   # no Abort came first
            ('PUT', OBJ),                       # the manifest, below SLO
            ('DELETE', MARKER),
            ('DELETE', FENCE),
        ], self.swift.calls)
        self.assertIn(('PUT', '/v1/AUTH_test/bucket/obj'),
                      self.auth.authorized)
        headers, body = self.sent('PUT', OBJ)
        entries = json.loads(body)
        self.assertEqual([
            {'name': SEGMENT_PATH % 1, 'bytes': 5 * MIB, 'hash': ETAGS[1],
             'content_type': 'application/octet-stream',
             # SLO records Last-Modified, rounded up to the second
             'last_modified': '2026-11-21T10:00:01.000000'},
            {'name': SEGMENT_PATH % 2, 'bytes': 10, 'hash': ETAGS[2],
             'content_type': 'application/octet-stream',
             'last_modified': '2026-11-21T10:00:01.000000'},
        ], entries)
        slo_etag = hashlib.md5(
            (ETAGS[1] + ETAGS[2]).encode('ascii')).hexdigest()
        body_etag = hashlib.md5(body).hexdigest()
        s3_etag = mpu.multipart_etag(ETAGS[1:3])
        self.assertEqual('True', headers['X-Static-Large-Object'])
        self.assertEqual(slo_etag, headers['X-Object-Sysmeta-Slo-Etag'])
        self.assertEqual(str(5 * MIB + 10),
                         headers['X-Object-Sysmeta-Slo-Size'])
        self.assertEqual(body_etag, headers['Etag'])
        self.assertEqual('text/plain;swift_bytes=%d' % (5 * MIB + 10),
                         headers['Content-Type'])
        self.assertEqual(
            '%s; s3_etag=%s; slo_etag=%s' % (body_etag, s3_etag, slo_etag),
            headers['X-Object-Sysmeta-Container-Update-Override-Etag'])
        self.assertEqual(UPLOAD_ID,
                         headers['X-Object-Sysmeta-S3api-Upload-Id'])
        self.assertEqual(s3_etag, headers['X-Object-Sysmeta-S3api-Etag'])
        self.assertEqual('blue', headers['X-Object-Meta-Color'])
        elem = fromstring(resp.body, 'CompleteMultipartUploadResult')
        self.assertEqual('"%s"' % s3_etag, elem.find('./ETag').text)

    def test_requests_do_not_grow_with_parts(self):
        rows = [part_row(n, ETAGS[1], 5 * MIB) for n in range(1, 201)]
        self.swift.register_listing(*listing_page(rows))
        self.swift.register_listing(*listing_page(
            [], 'obj/%s/200' % UPLOAD_ID))
        self.swift.register('PUT', OBJ, 201)
        resp = self.complete([(n, ETAGS[1]) for n in range(1, 201)])
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual(
            len(AUTH_CALLS) + 12 + len(PREVIOUS_OBJECT_CALLS),
            len(self.swift.calls))
        self.assertEqual(200, len(json.loads(self.sent('PUT', OBJ)[1])))

    def test_part_missing_from_listing_headed_once(self):
        self.swift.register('DELETE', part_path(2), 204)   # left out
        self.swift.register('HEAD', part_path(3), 200, {
            'Etag': ETAGS[3], 'Content-Length': '7',
            'Content-Type': 'application/x-part',
            'Last-Modified': 'Sat, 21 Nov 2026 10:00:05 GMT'})
        self.swift.register('PUT', OBJ, 201)
        resp = self.complete([(1, ETAGS[1]), (3, ETAGS[3])])
        self.assertEqual(200, resp.status_int, resp.body)
        # once before the fence, once behind it
        self.assertEqual(2, self.swift.calls.count(('HEAD', part_path(3))))
        self.assertEqual({
            'name': SEGMENT_PATH % 3, 'bytes': 7, 'hash': ETAGS[3],
            'content_type': 'application/x-part',
            'last_modified': '2026-11-21T10:00:05.000000',
        }, json.loads(self.sent('PUT', OBJ)[1])[1])

    def test_via_slo_when_configured(self):
        # what stock s3api does: SLO HEADs every segment again
        self.app.conf.complete_via_slo = True
        for n in (1, 2):
            self.swift.register('HEAD', part_path(n), 200, {
                'Etag': ETAGS[n], 'Content-Length': str(self.rows[n - 1][
                    'bytes']), 'Last-Modified': 'Sat, 21 Nov 2026 10:00:05 '
                'GMT'})
        # SLO passes its query string on with the manifest it writes
        put = OBJ + '?heartbeat=on&multipart-manifest=put'
        self.swift.register('PUT', put, 201)
        resp = self.complete([(1, ETAGS[1]), (2, ETAGS[2])])
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertIn(('HEAD', part_path(1)), self.swift.calls)
        self.assertIn(('HEAD', part_path(2)), self.swift.calls)
        self.assertEqual([('PUT', put), ('DELETE', MARKER),
                          ('DELETE', FENCE)], self.swift.calls[-3:])


class TestCompleteBelowSloDenied(TestCompleteBelowSlo):
    read_only = ('test:tester',)

    def test_manifest_written_as_slo_would(self):
        resp = self.complete([(1, ETAGS[1]), (2, ETAGS[2])])
        self.assertS3Error(resp, 403, 'AccessDenied')
        self.assertNotIn('PUT', self.methods_besides_fence())
        self.assertNotIn('DELETE', self.methods_besides_fence())

    test_requests_do_not_grow_with_parts = None
    test_part_missing_from_listing_headed_once = None
    test_via_slo_when_configured = None
