"""swift3-multipart-reaper and swift3-multipart-audit on the SAIO.

The reaper's clock is the ``now`` of its pass (``--now`` on the command
line): a rule of 1 day is due two days on, and nobody waits.
"""

import io
import json
import os
import subprocess
import sys
import tempfile
import time
from unittest import mock

from swift3_multipart import audit, layout, reaper
from test.functional import extra_saio
from test.functional.base import BucketTestCase, MIN_PART, saio, \
    unlimited_reaper_conf

# uploads of s3api's layout: the first phase of a rolling upgrade, and
# those a stock proxy began (our layout: test_our_layout.py)
setUpModule, tearDownModule = extra_saio.stock_layout()

DAY = 86400
# the reaper and the audit command with this SAIO's swift.conf
WRAPPER = ('import sys; from test.saio import use_state_dir; '
           'use_state_dir(sys.argv.pop(1)); from swift3_multipart import %s; '
           'sys.exit(%s.main())')


def run_command(module, *args):
    """:returns: (exit status, stdout, stderr) of a command of ours."""
    proc = subprocess.run(
        [sys.executable, '-c', WRAPPER % (module, module),
         saio().state_dir] + list(args),
        capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


class ReaperTestCase(BucketTestCase):
    def setUp(self):
        super().setUp()
        self.ic = saio().internal_client()
        env = saio().env()
        self.account = env['accounts'][env['access_key']]
        self.s3.put_bucket_lifecycle_configuration(
            Bucket=self.bucket, LifecycleConfiguration={'Rules': [{
                'ID': 'tmp', 'Filter': {'Prefix': 'tmp/'},
                'Status': 'Enabled', 'AbortIncompleteMultipartUpload': {
                    'DaysAfterInitiation': 1}}]})
        # due: a rule of 1 day
        self.expired = self.create('tmp/expired')
        self.upload(self.expired, 1, b'x' * MIN_PART, key='tmp/expired')
        self.upload(self.expired, 2, b'tail', key='tmp/expired')
        # no rule: never
        self.kept = self.create('keep/a')
        self.upload(self.kept, 1, b'k' * 10, key='keep/a')
        # completed: its task finds the marker gone
        done = self.create('tmp/done')
        self.complete(done, [self.upload(done, 1, b'done', key='tmp/done')],
                      key='tmp/done')
        self.later = time.time() + 2 * DAY

    def reaper(self, **conf):
        return reaper.MpuReaper(unlimited_reaper_conf(**conf),
                                logger=mock.Mock(), swift=self.ic)

    def uploads(self):
        listed = self.s3.list_multipart_uploads(Bucket=self.bucket)
        return sorted(u['Key'] for u in listed.get('Uploads', []))

    def mine(self, found):
        return [t for t in found if t['bucket'] == self.bucket]


class TestReaper(ReaperTestCase):
    def test_not_due_yet(self):
        self.reaper().run_once()
        self.assertEqual(['keep/a', 'tmp/expired'], self.uploads())

    def test_dry_run_changes_nothing(self):
        before = sorted(self.segments())
        rp = self.reaper()
        rp.run_once(now=self.later, dry_run=True)
        self.assertEqual([('tmp/expired', self.expired, 'tmp')], [
            (t['key'], t['upload_id'], t['rule_id'])
            for t in self.mine(rp.would_abort)])
        self.assertEqual(['keep/a', 'tmp/expired'], self.uploads())
        self.assertEqual(before, sorted(self.segments()))

    def test_aborts_expired_leaves_others(self):
        rp = self.reaper()
        stats = rp.run_once(now=self.later)
        self.assertGreaterEqual(stats['aborted'], 1)
        self.assertGreaterEqual(stats['gone'], 1)     # tmp/done's task
        self.assertEqual(0, stats['errors'])
        self.assertEqual(['keep/a'], self.uploads())
        self.assertS3Error('NoSuchUpload', 404, self.s3.list_parts,
                           Bucket=self.bucket, Key='tmp/expired',
                           UploadId=self.expired)
        self.assertFalse([n for n in self.live_segments()
                          if n.startswith('tmp/expired/')])
        self.assertEqual(b'done', self.read('tmp/done'))
        # every task of this bucket is gone: a second pass has nothing
        again = rp.run_once(now=self.later)
        self.assertEqual(0, again['aborted'])

    def test_rule_deleted_after_create(self):
        self.s3.delete_bucket_lifecycle(Bucket=self.bucket)
        stats = self.reaper().run_once(now=self.later)
        self.assertGreaterEqual(stats['no_rule'], 1)
        self.assertEqual(['keep/a', 'tmp/expired'], self.uploads())

    def test_rule_extended_after_create(self):
        self.s3.put_bucket_lifecycle_configuration(
            Bucket=self.bucket, LifecycleConfiguration={'Rules': [{
                'ID': 'tmp', 'Filter': {'Prefix': 'tmp/'},
                'Status': 'Enabled', 'AbortIncompleteMultipartUpload': {
                    'DaysAfterInitiation': 5}}]})
        rp = self.reaper()
        self.assertGreaterEqual(rp.run_once(now=self.later)['moved'], 1)
        self.assertEqual(['keep/a', 'tmp/expired'], self.uploads())
        # the task waits at its new date
        rp.run_once(now=self.later + 4 * DAY)
        self.assertEqual(['keep/a'], self.uploads())

    def test_rate_limit_and_recon(self):
        """tasks_per_second holds on the real cluster: a dry pass over the
        N tasks due, at N/2 per second, takes at least (N - 1) / (N/2)
        seconds (Swift's limiter lets the first task go at once); then
        the recon cache holds the pass's counts."""
        counted = self.reaper().run_once(now=self.later,
                                         dry_run=True)['tasks']
        self.assertGreaterEqual(counted, 3)
        rate = counted / 2.0
        begin = time.time()
        stats = self.reaper(tasks_per_second=str(rate)).run_once(
            now=self.later, dry_run=True)
        took = time.time() - begin
        self.assertEqual(counted, stats['tasks'])
        self.assertGreaterEqual(took, (counted - 1) / rate)
        with open(os.path.join(saio().state_dir, reaper.RECON_FILE)) as f:
            recon = json.load(f)
        self.assertEqual(stats, recon['mpu_reaper_last_pass'])
        self.assertIs(True, recon['mpu_reaper_dry_run'])
        self.assertGreaterEqual(recon['mpu_reaper_pass_duration'],
                                (counted - 1) / rate)
        self.assertLessEqual(begin, recon['mpu_reaper_pass_start'])

    def test_command_once_dry_run(self):
        with tempfile.NamedTemporaryFile('w', suffix='.conf') as conf:
            conf.write('[DEFAULT]\nuser = %s\nlog_name = mpu-reaper\n'
                       '[mpu-reaper]\ninternal_client_conf_path = %s\n' % (
                           saio().config.user, saio().internal_client_conf))
            conf.flush()
            status, _, err = run_command(
                'reaper', conf.name, '--once', '-v', '--dry-run', '--now',
                str(self.later))
        self.assertEqual(0, status, err)
        self.assertIn('would abort %s/%s/tmp/expired upload %s (rule tmp' % (
            self.account, self.bucket, self.expired), err)
        self.assertEqual(['keep/a', 'tmp/expired'], self.uploads())


class TestAudit(ReaperTestCase):
    def audit(self, *args):
        out = io.StringIO()
        audit.main([self.account, self.bucket, '--json'] + list(args),
                   swift=self.ic, out=out)
        return json.loads(out.getvalue())['buckets'][0]

    def test_figures(self):
        # a part whose upload is gone and that no manifest lists
        orphan = 'lost/%s/1' % ('O' * 48)
        self.ic.upload_object(io.BytesIO(b'o' * 123), self.account,
                              self.bucket + '+segments', orphan)
        report = self.audit()
        self.assertEqual({
            'bucket': self.bucket, 'bucket_exists': True, 'uploads': 2,
            'upload_bytes': MIN_PART + 4 + 10, 'expired': 0,
            'orphan_parts': 1, 'orphan_bytes': 123,
            'orphan_list': [orphan], 'aborted': 0,
            'deleted_orphan_parts': 0, 'deleted_orphan_bytes': 0,
        }, {k: v for k, v in report.items()
            if k not in ('upload_list', 'oldest', 'next_abort')})
        by_key = {u['key']: u for u in report['upload_list']}
        self.assertEqual((2, 'tmp'), (by_key['tmp/expired']['parts'],
                                      by_key['tmp/expired']['abort_rule_id']))
        self.assertIsNone(by_key['keep/a']['abort_date'])
        self.assertEqual(by_key['tmp/expired']['abort_date'],
                         report['next_abort'])

        report = self.audit('--delete-orphans')
        self.assertEqual(1, report['deleted_orphan_parts'])
        self.assertNotIn(orphan, self.segments())
        self.assertEqual(['keep/a', 'tmp/expired'], self.uploads())
        self.assertEqual(b'done', self.read('tmp/done'))

    def test_one_upload_at_a_glance(self):
        """--upload: one upload's parts, gaps, stale attempts, abort date
        and bytes, from the listing; on either layout (this module's SAIO
        begins uploads of stock's, test_keystone's of ours)."""
        ours = layout.is_ours(self.expired)
        # part 1 again (of our layout, the first attempt stays until
        # Complete or Abort; of stock's, it is overwritten), and part 4: a
        # gap of part 3
        self.upload(self.expired, 1, b'y' * MIN_PART, key='tmp/expired')
        self.upload(self.expired, 4, b'four', key='tmp/expired')
        out = io.StringIO()
        audit.main([self.account, self.bucket, '--upload', 'tmp/expired',
                    self.expired, '--json'], swift=self.ic, out=out)
        report = json.loads(out.getvalue())
        self.assertEqual((True, layout.layout_of(self.expired), 'tmp'), (
            report['in_progress'], report['layout'],
            report['abort_rule_id']))
        # s3api's user id: tempauth's user, Keystone's project:user
        self.assertEqual('test:tester', report['initiator'])
        self.assertEqual([(1, MIN_PART), (2, 4), (4, 4)], [
            (p['part_number'], p['size']) for p in report['parts']])
        self.assertEqual([[3, 3]], report['gaps'])
        self.assertEqual([1] if ours else [], [
            e['part_number'] for e in report['stale_attempts']])
        self.assertEqual((2 if ours else 1) * MIN_PART + 8,
                         report['bytes_held'])
        # the listing of the same upload agrees
        listed = self.s3.list_parts(Bucket=self.bucket, Key='tmp/expired',
                                    UploadId=self.expired)['Parts']
        self.assertEqual([p['ETag'].strip('"') for p in listed],
                         [p['etag'] for p in report['parts']])

    def test_abort_expired(self):
        # a rule added after Create has no task: the audit applies it
        self.s3.put_bucket_lifecycle_configuration(
            Bucket=self.bucket, LifecycleConfiguration={'Rules': [{
                'ID': 'all', 'Filter': {}, 'Status': 'Enabled',
                'AbortIncompleteMultipartUpload': {
                    'DaysAfterInitiation': 1}}]})
        report = self.audit('--now', str(self.later))
        self.assertEqual((2, 0), (report['expired'], report['aborted']))
        report = self.audit('--now', str(self.later), '--abort-expired')
        self.assertEqual(2, report['aborted'])
        self.assertEqual([], self.uploads())
        # what is left is the completed object's segment
        left = self.live_segments()
        self.assertEqual(1, len(left))
        self.assertTrue(left[0].startswith('tmp/done/'), left)

    def test_command_table(self):
        status, out, err = run_command(
            'audit', self.account, self.bucket, '--internal-client-conf',
            saio().internal_client_conf)
        self.assertEqual(0, status, err)
        lines = out.splitlines()
        self.assertEqual('BUCKET', lines[0].split()[0])
        self.assertEqual([self.bucket, '2', str(MIN_PART + 14)],
                         lines[1].split()[:3])
