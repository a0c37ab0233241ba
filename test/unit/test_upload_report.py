"""swift3-multipart-audit --upload (swift3_multipart.upload_report) over a
real InternalClient and the strict fake: one HEAD, one listing, no HEAD
per part."""

import io
import json
import unittest

from swift3_multipart import audit, layout, upload_report
from test.unit.fake_ic import internal_client, register_listing, row
from test.unit.helpers import FakeSwift
from test.unit.test_audit import epoch, uid

ACCOUNT = '/v1/AUTH_test'
BUCKET = ACCOUNT + '/bucket'
SEGMENTS = BUCKET + '+segments'
INDEX = ACCOUNT + '/\x00s3mpu\x00bucket'
OURS = '2.176472000000000' + '0123456789abcdef'   # 2025-12-03T00:00:00Z
INITIATED = float(layout.initiated_of(OURS))
NOW = INITIATED + 3 * 86400
LIFECYCLE = {'X-Container-Sysmeta-S3api-Lifecycle':
             '[["tmp","filter","tmp/",1,7]]'}


def attempt(number, n):
    return 'tmp/k/%s/%05d/%021d' % (OURS, number, n)


class TestUploadReport(unittest.TestCase):
    def setUp(self):
        self.swift = FakeSwift()
        self.ic = internal_client(self.swift)
        self.swift.register('HEAD', BUCKET, 204, LIFECYCLE)

    def tearDown(self):
        self.assertEqual([], self.swift.unexpected)
        # never a HEAD of a part
        self.assertEqual([], [c for c in self.swift.calls if c[0] == 'HEAD'
                              and c[1].startswith(SEGMENTS + '/tmp/k/')
                              and c[1].count('/') > 6])

    def test_ours(self):
        self.swift.register('HEAD', INDEX + '/\x00tmp/k\x00' + OURS, 200, {
            'Content-Type': 'application/x-directory',
            'X-Object-Sysmeta-S3api-Upload-Initiator': 'test:tester',
            'X-Object-Sysmeta-S3api-Checksum-Algorithm': 'CRC32',
            'X-Object-Sysmeta-S3api-Checksum-Type': 'COMPOSITE'})
        register_listing(self.swift, SEGMENTS, [
            row(layout.abort_record_name('tmp/k', OURS)),
            row(attempt(1, 1), 100), row(attempt(1, 2), 110),
            row(attempt(2, 3), 7), row(attempt(5, 4), 9),
            row(attempt(5, 5), 9)],
            prefix=layout.parts_prefix('tmp/k', OURS))
        report = upload_report.upload_report(
            self.ic, 'AUTH_test', 'bucket', 'tmp/k', OURS, now=NOW)
        self.assertEqual('immutable', report['layout'])
        self.assertTrue(report['in_progress'])
        self.assertEqual('test:tester', report['initiator'])
        self.assertEqual(3 * 86400, report['age_seconds'])
        # the rule's 7 days, then the next midnight UTC (as the reaper)
        self.assertEqual(('2025-12-11T00:00:00Z', 'tmp'),
                         (report['abort_date'], report['abort_rule_id']))
        self.assertEqual(('CRC32', 'COMPOSITE'), (
            report['checksum_algorithm'], report['checksum_type']))
        self.assertEqual([(1, 110, attempt(1, 2)), (2, 7, attempt(2, 3)),
                          (5, 9, attempt(5, 5))],
                         [(p['part_number'], p['size'], p['name'])
                          for p in report['parts']])
        self.assertEqual([[3, 4]], report['gaps'])
        self.assertEqual([attempt(1, 1), attempt(5, 4)],
                         [e['name'] for e in report['stale_attempts']])
        self.assertEqual((126, 235), (report['bytes_in_parts'],
                                      report['bytes_held']))
        out = upload_report.text(report)
        self.assertIn('aborts at:  2025-12-11T00:00:00Z (rule tmp)', out)
        self.assertIn('gaps:       3-4', out)
        self.assertIn('stale attempts: 2, 109 bytes', out)
        self.assertIn('bytes held: 235', out)

    def test_stock_layout_through_the_command(self):
        upload_id = uid(1)
        marker = '%s/tmp/k/%s' % (SEGMENTS, upload_id)
        self.swift.register('HEAD', marker, 200, {
            'X-Timestamp': '%d.00000' % epoch(2026, 11, 21)})
        prefix = 'tmp/k/%s/' % upload_id
        register_listing(self.swift, SEGMENTS, [
            row(prefix + '1', 5), row(prefix + '3', 6)], prefix=prefix)
        out = io.StringIO()
        audit.main(['AUTH_test', 'bucket', '--upload', 'tmp/k', upload_id,
                    '--json', '--now', str(epoch(2026, 11, 30))],
                   swift=self.ic, out=out)
        report = json.loads(out.getvalue())
        self.assertEqual(('stock', None, 9 * 86400), (
            report['layout'], report['initiator'], report['age_seconds']))
        self.assertEqual([[2, 2]], report['gaps'])
        self.assertEqual([], report['stale_attempts'])
        self.assertEqual(('2026-11-29T00:00:00Z', 11), (
            report['abort_date'], report['bytes_held']))

    def test_not_in_progress(self):
        self.swift.register('HEAD', INDEX + '/\x00tmp/k\x00' + OURS, 404)
        register_listing(self.swift, SEGMENTS, [row(attempt(1, 1), 4)],
                         prefix=layout.parts_prefix('tmp/k', OURS))
        report = upload_report.upload_report(
            self.ic, 'AUTH_test', 'bucket', 'tmp/k', OURS, now=NOW)
        self.assertFalse(report['in_progress'])
        self.assertIsNone(report['abort_date'])
        self.assertEqual(4, report['bytes_held'])
        self.assertIn('not in progress', upload_report.text(report))

    def test_gaps(self):
        self.assertEqual([], upload_report.gaps([]))
        self.assertEqual([], upload_report.gaps([1, 2, 3]))
        self.assertEqual([[1, 1], [3, 4], [6, 8]],
                         upload_report.gaps([2, 5, 9, 9]))

    def test_upload_needs_one_bucket(self):
        for argv in (['AUTH_test', '--upload', 'k', OURS],
                     ['AUTH_test', 'a', 'b', '--upload', 'k', OURS],
                     ['AUTH_test', 'a', '--upload', 'k', OURS,
                      '--delete-orphans']):
            with self.assertRaises(SystemExit):
                audit.parse_args(argv)
