"""swift3-multipart-audit over a real InternalClient and the strict fake."""

import io
import json
import unittest
from urllib.parse import quote
from datetime import datetime, timezone

from swift3_multipart import audit
from test.unit.fake_ic import internal_client, register_listing, row
from test.unit.helpers import FakeSwift


def epoch(*args):
    return int(datetime(*args, tzinfo=timezone.utc).timestamp())


def uid(n):
    """An upload id as CreateMultipartUpload makes them (48 characters)."""
    return ('Upload%d' % n).ljust(48, 'x')


NOW = epoch(2026, 11, 30, 12)
ACCOUNT = '/v1/AUTH_test'
BUCKET = ACCOUNT + '/bucket'
SEGMENTS = BUCKET + '+segments'
INDEX = ACCOUNT + '/\x00s3mpu\x00bucket'
MANIFEST = [{'name': '/bucket+segments/done/%s/%d' % (uid(3), n),
             'bytes': size, 'hash': 'x'} for n, size in ((1, 10), (2, 20))]
SEGMENT_ROWS = [
    # in progress; a rule aborts it on 2026-11-29
    row('tmp/a/' + uid(1), last_modified='2026-11-21T10:30:00.000000'),
    row('tmp/a/%s/1' % uid(1), 5),
    row('tmp/a/%s/2' % uid(1), 3),
    # in progress; no rule
    row('keep/b/' + uid(2), last_modified='2026-11-25T08:00:00.000000'),
    # completed as 'done' with parts 1 and 2: part 3 was left out
    row('done/%s/1' % uid(3), 10),
    row('done/%s/2' % uid(3), 20),
    row('done/%s/3' % uid(3), 7),
    # its upload is gone and no object lists it
    row('lost/%s/1' % uid(4), 100),
    # not a name s3api makes: never an orphan
    row('photos/2024/1', 1000),
]


class AuditTestCase(unittest.TestCase):
    def setUp(self):
        self.swift = FakeSwift()
        self.ic = internal_client(self.swift)
        self.swift.register('HEAD', BUCKET, 204, {
            'X-Container-Sysmeta-S3api-Lifecycle':
            '[["tmp","filter","tmp/",1,7]]'})
        register_listing(self.swift, SEGMENTS, SEGMENT_ROWS)
        register_listing(self.swift, BUCKET, [
            dict(row('done', 30), hash='m; s3_etag=e-2; slo_etag=s'),
            row('plain', 3)])
        self.swift.register('GET', BUCKET + '/done?multipart-manifest=get',
                            200, {'X-Static-Large-Object': 'True'},
                            MANIFEST)
        self.swift.register('GET', BUCKET + '/lost?multipart-manifest=get',
                            404)
        # no upload of our layout
        self.swift.register('GET', INDEX + '?format=json&marker=', 404)

    def tearDown(self):
        self.assertEqual([], self.swift.unexpected)

    def writes(self):
        return [c for c in self.swift.calls if c[0] in ('PUT', 'DELETE')]


class TestAudit(AuditTestCase):
    def test_report(self):
        report = audit.Auditor(self.ic, 'AUTH_test', NOW).audit_bucket(
            'bucket')
        self.assertEqual({
            'bucket': 'bucket', 'bucket_exists': True,
            'uploads': 2, 'upload_bytes': 8,
            'oldest': '2026-11-21T10:30:00Z',
            'next_abort': '2026-11-29T00:00:00Z', 'expired': 1,
            'orphan_parts': 2, 'orphan_bytes': 107,
            'orphan_list': ['done/%s/3' % uid(3), 'lost/%s/1' % uid(4)],
            'aborted': 0, 'deleted_orphan_parts': 0,
            'deleted_orphan_bytes': 0,
        }, {k: v for k, v in report.items() if k != 'upload_list'})
        self.assertEqual([{
            'key': 'keep/b', 'upload_id': uid(2),
            'initiated': '2026-11-25T08:00:00Z',
            'initiated_epoch': epoch(2026, 11, 25, 8), 'parts': 0,
            'bytes': 0, 'abort_date': None, 'abort_rule_id': None,
            'expired': False,
        }, {
            'key': 'tmp/a', 'upload_id': uid(1),
            'initiated': '2026-11-21T10:30:00Z',
            'initiated_epoch': epoch(2026, 11, 21, 10, 30), 'parts': 2,
            'bytes': 8, 'abort_date': '2026-11-29T00:00:00Z',
            'abort_rule_id': 'tmp', 'expired': True,
        }], report['upload_list'])
        self.assertEqual([], self.writes())   # a report changes nothing

    def test_operator_policy(self):
        report = audit.Auditor(self.ic, 'AUTH_test', NOW,
                               default_days=2).audit_bucket('bucket')
        by_key = {u['key']: u for u in report['upload_list']}
        self.assertEqual(('cluster-policy', '2026-11-28T00:00:00Z', True), (
            by_key['keep/b']['abort_rule_id'], by_key['keep/b']['abort_date'],
            by_key['keep/b']['expired']))
        self.assertEqual(2, report['expired'])

    def test_delete_orphans(self):
        self.swift.register('HEAD', '%s/done/%s' % (SEGMENTS, uid(3)), 404)
        self.swift.register('HEAD', '%s/lost/%s' % (SEGMENTS, uid(4)), 404)
        for name in ('done/%s/3' % uid(3), 'lost/%s/1' % uid(4)):
            self.swift.register('DELETE', '%s/%s' % (SEGMENTS, name), 204)
        report = audit.Auditor(self.ic, 'AUTH_test', NOW,
                               delete_orphans=True).audit_bucket('bucket')
        self.assertEqual([
            ('DELETE', '%s/done/%s/3' % (SEGMENTS, uid(3))),
            ('DELETE', '%s/lost/%s/1' % (SEGMENTS, uid(4))),
        ], self.writes())
        self.assertEqual((2, 107), (report['deleted_orphan_parts'],
                                    report['deleted_orphan_bytes']))

    def test_delete_orphans_checks_again(self):
        # the upload came back (a listing that lagged): nothing deleted
        self.swift.register('HEAD', '%s/done/%s' % (SEGMENTS, uid(3)), 200,
                            {'X-Timestamp': '1795000000.00000'})
        # the object now lists the part
        self.swift.register('HEAD', '%s/lost/%s' % (SEGMENTS, uid(4)), 404)
        self.swift.register('GET', BUCKET + '/lost?multipart-manifest=get',
                            200, {'X-Static-Large-Object': 'True'}, [
                                {'name': '/bucket+segments/lost/%s/1' %
                                 uid(4)}])
        report = audit.Auditor(self.ic, 'AUTH_test', NOW,
                               delete_orphans=True).audit_bucket('bucket')
        self.assertEqual([], self.writes())
        self.assertEqual(0, report['deleted_orphan_parts'])

    def test_abort_expired(self):
        self.swift.register('HEAD', BUCKET + '/tmp/a', 404)
        prefix = 'tmp/a/%s/' % uid(1)
        register_listing(self.swift, SEGMENTS, [
            r for r in SEGMENT_ROWS if r['name'].startswith(prefix)],
            prefix=prefix)
        for name in ('tmp/a/' + uid(1), prefix + '1', prefix + '2'):
            self.swift.register('DELETE', '%s/%s' % (SEGMENTS, name), 204)
        report = audit.Auditor(self.ic, 'AUTH_test', NOW,
                               abort_expired=True).audit_bucket('bucket')
        self.assertEqual([
            ('DELETE', '%s/%s1' % (SEGMENTS, prefix)),
            ('DELETE', '%s/%s2' % (SEGMENTS, prefix)),
            ('DELETE', '%s/tmp/a/%s' % (SEGMENTS, uid(1))),  # marker last
        ], self.writes())
        self.assertEqual(1, report['aborted'])

    def test_old_versions_keep_their_segments(self):
        self.swift.register('HEAD', BUCKET, 204, {
            'X-Container-Sysmeta-Versions-Container': '%00versions%00bucket'})
        versions = ACCOUNT + '/\x00versions\x00bucket'
        register_listing(self.swift, versions, [
            dict(row('\x00lost\x00999'), hash='m; slo_etag=s')])
        self.swift.register(
            'GET', versions + '/\x00lost\x00999?multipart-manifest=get', 200,
            {'X-Static-Large-Object': 'True'},
            [{'name': '/bucket+segments/lost/%s/1' % uid(4)}])
        report = audit.Auditor(self.ic, 'AUTH_test', NOW).audit_bucket(
            'bucket')
        self.assertEqual(['done/%s/3' % uid(3)], report['orphan_list'])

    def test_segments_without_bucket(self):
        gone = ACCOUNT + '/gone'
        self.swift.register('HEAD', gone, 404)
        register_listing(self.swift, gone + '+segments', [
            row('x/%s/1' % uid(5), 50)])
        self.swift.register('GET', ACCOUNT + '/\x00s3mpu\x00gone'
                            '?format=json&marker=', 404)
        report = audit.Auditor(self.ic, 'AUTH_test', NOW).audit_bucket('gone')
        self.assertEqual((False, 1, 50), (report['bucket_exists'],
                                          report['orphan_parts'],
                                          report['orphan_bytes']))

    def test_split_part_name(self):
        self.assertEqual(('a/b', uid(1), 7),
                         audit.split_part_name('a/b/%s/7' % uid(1)))
        for name in ('a/' + uid(1), 'photos/2024/1', '/%s/1' % uid(1),
                     'a/%s/x' % uid(1), 'a/%s/1' % ('%' * 48), '1'):
            with self.subTest(name=name):
                self.assertIsNone(audit.split_part_name(name))


class TestCommand(AuditTestCase):
    def test_all_buckets_json(self):
        register_listing(self.swift, ACCOUNT, [
            {'name': 'bucket'}, {'name': 'bucket+segments'},
            {'name': 'empty'}])
        self.swift.register('HEAD', ACCOUNT + '/empty', 204)
        register_listing(self.swift, ACCOUNT + '/empty+segments', [])
        self.swift.register('GET', ACCOUNT + '/\x00s3mpu\x00empty'
                            '?format=json&marker=', 404)
        out = io.StringIO()
        self.assertEqual(0, audit.main(
            ['AUTH_test', '--json', '--now', str(NOW)], swift=self.ic,
            out=out))
        result = json.loads(out.getvalue())
        self.assertEqual('2026-11-30T12:00:00Z', result['now'])
        self.assertEqual(['bucket', 'empty'],
                         [b['bucket'] for b in result['buckets']])
        self.assertEqual({
            'uploads': 2, 'upload_bytes': 8, 'expired': 1,
            'orphan_parts': 2, 'orphan_bytes': 107, 'aborted': 0,
            'deleted_orphan_parts': 0, 'deleted_orphan_bytes': 0,
        }, result['totals'])

    def test_table(self):
        out = io.StringIO()
        audit.main(['AUTH_test', 'bucket', '--now', str(NOW)],
                   swift=self.ic, out=out)
        lines = out.getvalue().splitlines()
        self.assertEqual(['BUCKET', 'UPLOADS', 'UPLOAD', 'BYTES', 'OLDEST',
                          'NEXT', 'ABORT', 'EXPIRED', 'ORPHAN', 'PARTS',
                          'ORPHAN', 'BYTES'], lines[0].split())
        self.assertEqual(['bucket', '2', '8', '2026-11-21T10:30:00Z',
                          '2026-11-29T00:00:00Z', '1', '2', '107'],
                         lines[1].split())
        self.assertEqual(['TOTAL', '2', '8', '-', '-', '1', '2', '107'],
                         lines[2].split())
        self.assertEqual(3, len(lines))

    def test_table_says_what_was_changed(self):
        result = {'buckets': [], 'totals': {
            'uploads': 0, 'upload_bytes': 0, 'expired': 0, 'orphan_parts': 0,
            'orphan_bytes': 0, 'aborted': 1, 'deleted_orphan_parts': 2,
            'deleted_orphan_bytes': 30}}
        self.assertIn('aborted 1 expired uploads; deleted 2 orphan parts '
                      '(30 bytes)', audit.table(result))


class TestAuditOurLayout(unittest.TestCase):
    """Uploads of our layout: the index's records are the uploads; the
    attempts of an upload with no record are orphans, freed by the
    protocol of Abort."""

    def setUp(self):
        from swift3_multipart import layout
        self.layout = layout
        self.swift = FakeSwift()
        self.ic = internal_client(self.swift)
        self.live = layout.new_upload_id()
        self.lost = layout.new_upload_id()
        self.swift.register('HEAD', BUCKET, 204, {})
        self.swift.register('HEAD', SEGMENTS, 204, {})
        self.attempt = lambda uid_, n: '%s%05d/%021d' % (
            layout.parts_prefix('k', uid_), n, n)
        register_listing(self.swift, SEGMENTS, [
            row(self.attempt(self.live, 1), 5),
            row(self.attempt(self.lost, 1), 40),
            row(self.attempt(self.lost, 2), 2)])
        index = ACCOUNT + '/' + layout.index_container('bucket')
        record = layout.record_name('k', self.live)
        self.swift.register('GET', index + '?format=json&marker=', 200, {},
                            [{'name': record}])
        self.swift.register('GET', index + '?format=json&marker=' +
                            quote(record), 200, {}, [])
        register_listing(self.swift, BUCKET, [])
        self.swift.register('HEAD', BUCKET + '/k', 404)
        self.swift.register('GET', BUCKET + '/k?multipart-manifest=get', 404)

    def tearDown(self):
        self.assertEqual([], self.swift.unexpected)

    def test_report(self):
        report = audit.Auditor(self.ic, 'AUTH_test', NOW).audit_bucket(
            'bucket')
        self.assertEqual([('k', self.live, 1, 5)], [
            (u['key'], u['upload_id'], u['parts'], u['bytes'])
            for u in report['upload_list']])
        self.assertEqual((2, 42), (report['orphan_parts'],
                                   report['orphan_bytes']))
        self.assertEqual([], [c for c in self.swift.calls
                              if c[0] in ('PUT', 'DELETE')])

    def test_delete_orphans(self):
        layout = self.layout
        index = ACCOUNT + '/' + layout.index_container('bucket')
        self.swift.register('HEAD', index + '/' + layout.record_name(
            'k', self.lost), 404)
        abort_record = SEGMENTS + '/' + layout.abort_record_name(
            'k', self.lost)
        self.swift.register_stored(abort_record)
        prefix = layout.parts_prefix('k', self.lost)
        register_listing(self.swift, SEGMENTS, [
            row(self.attempt(self.lost, 1), 40),
            row(self.attempt(self.lost, 2), 2)], prefix=prefix)
        for n in (1, 2):
            self.swift.register('DELETE', SEGMENTS + '/' + self.attempt(
                self.lost, n), 204)
        report = audit.Auditor(self.ic, 'AUTH_test', NOW,
                               delete_orphans=True).audit_bucket('bucket')
        self.assertEqual((2, 42), (report['deleted_orphan_parts'],
                                   report['deleted_orphan_bytes']))
        self.assertEqual([('PUT', abort_record)] + [
            ('DELETE', SEGMENTS + '/' + self.attempt(self.lost, n))
            for n in (1, 2)],
            [c for c in self.swift.calls if c[0] in ('PUT', 'DELETE')])
