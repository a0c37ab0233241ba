"""swift3-multipart-reaper over a real InternalClient and the strict fake.

The clock is the ``now`` of run_once; nothing sleeps.
"""

import json
import os
import shutil
import tempfile
import unittest
from datetime import datetime, timezone
from unittest import mock

from swift.common.utils import split_path

from swift3_multipart import reaper, tasks
from test.unit.fake_ic import internal_client, register_listing, row, \
    listing_path
from test.unit.helpers import FakeSwift


def epoch(*args):
    return int(datetime(*args, tzinfo=timezone.utc).timestamp())


UPLOAD_ID = 'dXBsb2FkLWlkLTAwMDEtMDAwMS0wMDAxLTAwMDAwMDAwMDAwMQ=='
KEY = 'tmp/obj'
INITIATED = epoch(2026, 11, 21, 10, 30)
DUE = epoch(2026, 11, 29)        # 7 days, rounded up to midnight UTC
NOW = epoch(2026, 11, 30, 12)
TASKS = '/v1/.s3api_mpu_expiring'
ANCHOR = TASKS + '/reaper'
BUCKET = '/v1/AUTH_test/bucket'
SEGMENTS = BUCKET + '+segments'
MARKER = '%s/%s/%s' % (SEGMENTS, KEY, UPLOAD_ID)
PARTS_PREFIX = '%s/%s/' % (KEY, UPLOAD_ID)
LIFECYCLE = {'X-Container-Sysmeta-S3api-Lifecycle':
             '[["tmp","filter","tmp/",1,7]]'}


def task(epoch_=DUE, upload_id=UPLOAD_ID, key=KEY, default_days=0,
         max_days=0):
    name = tasks.task_name(epoch_, 'AUTH_test', 'bucket', upload_id)
    return (tasks.task_container(name, epoch_), name,
            tasks.task_body(key, default_days, max_days))


class ReaperTestCase(unittest.TestCase):
    """The reaper on a clock that only its sleeps advance."""

    def setUp(self):
        self.swift = FakeSwift()
        self.swift.register('HEAD', ANCHOR, 204)
        self.logger = mock.Mock()
        self.recon_dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.recon_dir)
        self.now = NOW
        self.slept = []
        self.reaper = self.make_reaper()

    def make_reaper(self, **conf):
        conf.setdefault('recon_cache_path', self.recon_dir)
        return reaper.MpuReaper(
            conf, logger=self.logger, swift=internal_client(self.swift),
            clock=lambda: self.now, sleep=self.sleep)

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds

    def tearDown(self):
        self.assertEqual([], self.swift.unexpected)

    def register_tasks(self, *found):
        """Task containers with their tasks: (container, name, body)."""
        containers = sorted({c for c, _, _ in found})
        register_listing(self.swift, TASKS, [
            {'name': c, 'count': 1, 'bytes': 0} for c in containers])
        for container in containers:
            register_listing(self.swift, '%s/%s' % (TASKS, container), [
                row(n) for c, n, _ in found if c == container])
            self.swift.register('DELETE', '%s/%s' % (TASKS, container), 409)
        for container, name, body in found:
            path = '%s/%s/%s' % (TASKS, container, name)
            self.swift.register('GET', path, 200, {}, body)
            self.swift.register('DELETE', path, 204)

    def register_upload(self, bucket_headers=LIFECYCLE, parts=2):
        self.swift.register('HEAD', MARKER, 200, {
            'X-Timestamp': '%d.12345' % INITIATED})
        self.swift.register('HEAD', BUCKET, 204, bucket_headers)
        self.swift.register('HEAD', BUCKET + '/' + KEY, 404)
        register_listing(self.swift, SEGMENTS, [
            row(PARTS_PREFIX + str(n), 5) for n in range(1, parts + 1)],
            prefix=PARTS_PREFIX)
        for n in range(1, parts + 1):
            self.swift.register('DELETE', MARKER + '/%d' % n, 204)
        self.swift.register('DELETE', MARKER, 204)

    def writes(self):
        return [c for c in self.swift.calls if c[0] in ('PUT', 'DELETE')]


class TestReaper(ReaperTestCase):
    def test_aborts_due_upload(self):
        container, name, body = task()
        self.register_tasks((container, name, body))
        self.register_upload()
        stats = self.reaper.run_once(now=NOW)
        task_path = '%s/%s/%s' % (TASKS, container, name)
        self.assertEqual([
            ('HEAD', ANCHOR),                      # the task account exists
            ('GET', listing_path(TASKS)),          # containers up to now
            ('GET', listing_path(TASKS + '/' + container)),
            ('GET', task_path),                    # which upload
            ('HEAD', MARKER),                      # still in progress
            ('HEAD', BUCKET),                      # its rules, now
            ('HEAD', BUCKET + '/' + KEY),          # not completed already
            ('GET', listing_path(SEGMENTS, prefix=PARTS_PREFIX)),
            ('GET', listing_path(SEGMENTS, PARTS_PREFIX + '2',
                                 PARTS_PREFIX)),
            ('DELETE', MARKER + '/1'),
            ('DELETE', MARKER + '/2'),
            ('DELETE', MARKER),                    # last, as Abort
            ('DELETE', task_path),                 # the task, once done
            ('GET', listing_path(TASKS + '/' + container, name)),
            ('DELETE', TASKS + '/' + container),   # 409 while not empty
            ('GET', listing_path(TASKS, container)),
        ], self.swift.calls)
        self.assertEqual({'tasks': 1, 'aborted': 1, 'parts': 2, 'bytes': 10,
                          'gone': 0, 'no_rule': 0, 'moved': 0, 'errors': 0},
                         stats)
        self.assertIn(mock.call('aborted'),
                      self.logger.increment.call_args_list)

    def test_dry_run_changes_nothing(self):
        container, name, body = task()
        self.register_tasks((container, name, body))
        self.register_upload()
        stats = self.reaper.run_once(now=NOW, dry_run=True)
        self.assertEqual([], self.writes())
        self.assertNotIn(('HEAD', ANCHOR), self.swift.calls)
        self.assertEqual((1, 2, 10), (stats['aborted'], stats['parts'],
                                      stats['bytes']))
        self.assertEqual([{
            'epoch': DUE, 'account': 'AUTH_test', 'bucket': 'bucket',
            'upload_id': UPLOAD_ID, 'key': KEY, 'default_days': 0,
            'max_days': 0, 'rule_id': 'tmp', 'abort_epoch': DUE,
        }], self.reaper.would_abort)
        self.assertEqual('would abort',
                         self.logger.info.call_args_list[-2][0][1])

    def test_dry_run_from_config(self):
        self.reaper = reaper.MpuReaper(
            {'dry_run': 'yes'}, logger=self.logger,
            swift=internal_client(self.swift))
        self.assertTrue(self.reaper.dry_run)

    def assertTaskDropped(self, container, name, stats, why):
        self.assertEqual([('DELETE', '%s/%s/%s' % (TASKS, container, name)),
                          ('DELETE', TASKS + '/' + container)],
                         self.writes())
        self.assertEqual(1, stats[why])

    def test_upload_gone_drops_task(self):
        container, name, body = task()
        self.register_tasks((container, name, body))
        self.swift.register('HEAD', MARKER, 404)   # completed or aborted
        self.assertTaskDropped(container, name, self.reaper.run_once(now=NOW),
                               'gone')

    def test_rule_deleted_drops_task(self):
        container, name, body = task()
        self.register_tasks((container, name, body))
        self.register_upload(bucket_headers={})
        self.assertTaskDropped(container, name, self.reaper.run_once(now=NOW),
                               'no_rule')

    def test_cluster_policy_of_create_kept(self):
        # no rule in the bucket, but the task says the default was 3 days
        container, name, body = task(default_days=3)
        self.register_tasks((container, name, body))
        self.register_upload(bucket_headers={})
        stats = self.reaper.run_once(now=NOW)
        self.assertEqual(1, stats['aborted'])
        self.assertIn(('DELETE', MARKER), self.writes())

    def test_rule_extended_moves_task(self):
        container, name, body = task()
        self.register_tasks((container, name, body))
        self.register_upload(bucket_headers={
            'X-Container-Sysmeta-S3api-Lifecycle':
            '[["tmp","filter","tmp/",1,30]]'})
        later = epoch(2026, 12, 22)
        new_container, new_name, new_body = task(later)
        new_path = '%s/%s/%s' % (TASKS, new_container, new_name)
        self.swift.register('PUT', TASKS + '/' + new_container, 201)
        self.swift.register('PUT', new_path, 201)
        stats = self.reaper.run_once(now=NOW)
        self.assertEqual([
            ('PUT', TASKS + '/' + new_container),
            ('PUT', new_path),
            ('DELETE', '%s/%s/%s' % (TASKS, container, name)),
            ('DELETE', TASKS + '/' + container),
        ], self.writes())
        self.assertEqual(new_body, self.swift.bodies[
            self.swift.calls.index(('PUT', new_path))])
        self.assertEqual(1, stats['moved'])

    def test_completed_upload_keeps_its_parts(self):
        container, name, body = task()
        self.register_tasks((container, name, body))
        self.register_upload()
        self.swift.register('HEAD', BUCKET + '/' + KEY, 200, {
            'X-Object-Sysmeta-S3api-Upload-Id': UPLOAD_ID})
        stats = self.reaper.run_once(now=NOW)
        self.assertEqual([
            ('DELETE', MARKER),
            ('DELETE', '%s/%s/%s' % (TASKS, container, name)),
            ('DELETE', TASKS + '/' + container),
        ], self.writes())
        self.assertEqual((1, 0), (stats['aborted'], stats['parts']))

    def test_only_due_containers_and_tasks(self):
        container, name, body = task()
        # in a listed container but due tomorrow (a shard of its day)
        early = ('%010d' % (NOW - 10), '%010d-AUTH_test/bucket/x' % (
            NOW + 86400), b'')
        register_listing(self.swift, TASKS, [
            {'name': early[0]}, {'name': 'junk'},
            {'name': '%010d' % (NOW + 1)}])   # not yet: the listing stops
        register_listing(self.swift, TASKS + '/' + early[0], [row(early[1])])
        self.swift.register('DELETE', TASKS + '/' + early[0], 409)
        stats = self.reaper.run_once(now=NOW)
        self.assertEqual(0, stats['tasks'])
        self.assertEqual([('DELETE', TASKS + '/' + early[0])], self.writes())

    def test_no_task_account_yet(self):
        self.swift.register('HEAD', ANCHOR, 404)
        self.swift.register('PUT', ANCHOR, 201)
        self.swift.register('GET', listing_path(TASKS), 404)
        stats = self.reaper.run_once()    # the clock: NOW
        self.assertEqual([('PUT', ANCHOR)], self.writes())
        self.assertEqual(0, stats['tasks'])

    def test_error_counted_and_pass_goes_on(self):
        first = task()
        second = task(upload_id='other')
        self.register_tasks(first, second)
        self.swift.register('GET', '%s/%s/%s' % (TASKS, first[0], first[1]),
                            503)
        self.swift.register('HEAD', '%s/%s/other' % (SEGMENTS, KEY), 404)
        stats = self.reaper.run_once(now=NOW)
        self.assertEqual((2, 1, 1), (stats['tasks'], stats['errors'],
                                     stats['gone']))
        self.assertEqual(1, self.logger.exception.call_count)

    def test_processes_share_tasks(self):
        found = [task(upload_id='upload%d' % n) for n in range(8)]
        self.register_tasks(*found)
        for n in range(8):
            self.swift.register('HEAD', '%s/%s/upload%d' % (
                SEGMENTS, KEY, n), 404)
        done = []
        for process in (0, 1):
            self.swift.calls[:] = []
            self.reaper.run_once(now=NOW, processes=2, process=process)
            done.append({split_path(p, 4, 4, True)[3] for m, p in
                         self.swift.calls if m == 'GET' and '?' not in p})
        self.assertEqual(set(), done[0] & done[1])
        self.assertEqual({n for _, n, _ in found}, done[0] | done[1])
        self.assertTrue(done[0] and done[1])

    def test_bad_process_numbers(self):
        with self.assertRaises(ValueError):
            reaper.MpuReaper({'processes': '2', 'process': '2'},
                             logger=self.logger, swift=mock.Mock())
        with self.assertRaises(ValueError):
            self.reaper.run_once(processes=1, process=1)


class TestLimitsAndReports(ReaperTestCase):
    """The rate limits (tasks_per_second, deletes_per_second), the recon
    cache and the metrics of a pass."""

    def gone_tasks(self, count):
        found = [task(upload_id='upload%02d' % n) for n in range(count)]
        self.register_tasks(*found)
        for n in range(count):
            self.swift.register('HEAD', '%s/%s/upload%02d' % (
                SEGMENTS, KEY, n), 404)
        return found

    def test_tasks_per_second(self):
        # 10 tasks at 5 per second: 9 waits of 0.2 s after the first task
        self.gone_tasks(10)
        self.reaper = self.make_reaper(tasks_per_second='5',
                                       deletes_per_second='0')
        stats = self.reaper.run_once(now=NOW)
        self.assertEqual(10, stats['tasks'])
        self.assertAlmostEqual(9 / 5.0, sum(self.slept), places=3)
        self.assertGreaterEqual(self.now - NOW, (10 - 1) / 5.0 - 1e-3)

    def test_deletes_per_second(self):
        # an abort of 20 parts, its marker, its task and the task container
        self.register_tasks(task())
        self.register_upload(parts=20)
        self.reaper = self.make_reaper(tasks_per_second='0',
                                       deletes_per_second='10')
        stats = self.reaper.run_once(now=NOW)
        self.assertEqual(1, stats['aborted'])
        deletes = [c for c in self.swift.calls if c[0] == 'DELETE']
        self.assertEqual(23, len(deletes))
        self.assertAlmostEqual((23 - 1) / 10.0, sum(self.slept), places=3)

    def test_no_limit(self):
        self.gone_tasks(10)
        self.reaper = self.make_reaper(tasks_per_second='0',
                                       deletes_per_second='0')
        self.assertEqual(10, self.reaper.run_once(now=NOW)['tasks'])
        self.assertEqual([], self.slept)

    def test_defaults_limit(self):
        self.assertEqual((50, 200), (self.reaper.tasks_per_second,
                                     self.reaper.deletes_per_second))
        self.gone_tasks(3)
        self.reaper.run_once(now=NOW)
        self.assertTrue(self.slept)

    def test_recon_cache(self):
        first, second = task(), task(upload_id='other')
        self.register_tasks(first, second)
        self.swift.register('GET', '%s/%s/%s' % (TASKS, first[0], first[1]),
                            503)
        self.swift.register('HEAD', '%s/%s/other' % (SEGMENTS, KEY), 404)
        self.reaper.run_once(now=NOW)
        with open(os.path.join(self.recon_dir, reaper.RECON_FILE)) as f:
            recon = json.load(f)
        self.assertEqual(NOW, recon['mpu_reaper_pass_start'])
        self.assertEqual(self.now - NOW, recon['mpu_reaper_pass_duration'])
        self.assertEqual((2, 1, 1), tuple(recon['mpu_reaper_last_pass'][k]
                                          for k in ('tasks', 'errors',
                                                    'gone')))
        self.assertIs(False, recon['mpu_reaper_dry_run'])

    def test_metrics(self):
        # one upload aborted (10 bytes), one task that fails; both due
        # a day before the pass
        self.register_tasks(task(), task(upload_id='other'))
        self.register_upload()
        self.swift.register('GET', '%s/%s/%s' % (
            TASKS, task(upload_id='other')[0], task(upload_id='other')[1]),
            503)
        self.reaper.run_once(now=NOW)
        increments = [c[0][0] for c in self.logger.increment.call_args_list]
        self.assertEqual({'tasks': 2, 'aborted': 1, 'tasks_dropped': 1,
                          'errors': 1}, {
                              name: increments.count(name)
                              for name in set(increments)})
        self.logger.update_stats.assert_called_once_with('bytes_freed', 10)
        self.logger.timing.assert_called_once_with(
            'oldest_task_lag', (NOW - DUE) * 1000)


class TestDaemon(ReaperTestCase):
    def test_run_forever_sleeps_the_rest_of_interval(self):
        clock = iter([0, 100, 300, 310])
        slept = []

        def sleep(seconds):
            slept.append(seconds)
            if len(slept) == 2:
                raise SystemExit
        self.reaper = reaper.MpuReaper(
            {'interval': '300'}, logger=self.logger, swift=mock.Mock(),
            clock=lambda: next(clock), sleep=sleep)
        self.reaper.run_once = mock.Mock(side_effect=[None, ValueError()])
        with self.assertRaises(SystemExit):
            self.reaper.run_forever(dry_run=True)
        self.assertEqual([200, 290], slept)
        self.assertTrue(self.reaper.dry_run)
        self.logger.exception.assert_called_once_with('Unhandled exception')

    def test_main(self):
        with mock.patch.object(reaper, 'run_daemon') as run_daemon:
            reaper.main([__file__, '--once', '--dry-run', '--now',
                         str(NOW), '--processes', '3', '--process', '1'])
        run_daemon.assert_called_once_with(
            reaper.MpuReaper, __file__, once=True, verbose=False,
            dry_run=True, now=float(NOW), processes='3', process='1')

    def test_internal_client_from_conf(self):
        with mock.patch.object(reaper, 'InternalClient') as ic:
            reaper.MpuReaper({'internal_client_conf_path': '/ic.conf',
                              'request_tries': '5'}, logger=self.logger)
        ic.assert_called_once_with('/ic.conf', reaper.USER_AGENT, 5)
