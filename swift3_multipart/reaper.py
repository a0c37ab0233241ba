"""swift3-multipart-reaper: abort the multipart uploads lifecycle rules expire.

A Swift daemon like ``swift-object-expirer``::

    swift3-multipart-reaper /etc/swift/mpu-reaper.conf [--once] [-v]
        [--dry-run] [--now EPOCH] [--processes N --process I]

It reads the queue CreateMultipartUpload writes in the hidden account
``.s3api_mpu_expiring`` (see :mod:`swift3_multipart.tasks`): it lists the
task containers up to now, never the users' accounts. For each task due:

* the upload's marker is gone (completed or aborted): drop the task (for
  an upload of our layout, whose record is gone, first sweep what no
  manifest of it names: :func:`swift3_multipart.storage.sweep_upload`);
* else evaluate the bucket's lifecycle rules as they are now, with the
  operator's default and ceiling recorded in the task: no rule applies any
  more (the rule was deleted or disabled): drop the task; the rule now
  gives a later date: move the task there; else abort the upload as
  AbortMultipartUpload does (stock layout: parts, then marker; ours: by
  the protocol of :mod:`swift3_multipart.abort`) and drop the task.

A task is dropped only after its upload is dealt with, and aborting twice
is harmless: a pass interrupted anywhere is finished by the next one, and
several reapers may run at once. ``processes``/``process`` split the tasks
between reapers by a hash of their names, as the object-expirer does.

Options (``[mpu-reaper]``; see ``etc/mpu-reaper.conf-sample``):
``interval`` (300 s between passes), ``internal_client_conf_path``,
``request_tries``, ``processes``, ``process``, ``dry_run`` (report what
would be aborted, change nothing), ``report_interval``, and the limits
that keep a pass from flooding the cluster: ``tasks_per_second`` (50, as
the object-expirer's) and ``deletes_per_second`` (200: every DELETE the
reaper sends, parts, records and tasks alike). After each pass it writes
``recon_cache_path``/``mpu_reaper.recon`` (see :data:`RECON_FILE`).

Metrics (StatsD through Swift's logger, ``log_statsd_*`` options, under
``mpu-reaper.``): ``tasks`` (each due task read), ``tasks_dropped`` (each
task deleted once dealt with), ``aborted``, ``would_abort`` (dry run),
``errors`` (a task that failed: the pass goes on), ``bytes_freed`` (a
counter, in bytes) and ``oldest_task_lag`` (a timing: how late, in ms,
the oldest due task of the pass was when the pass began).

Uploads created before a rule that covers them existed have no task: the
audit tool (:mod:`swift3_multipart.audit`, ``--abort-expired``) finds them.
"""

import io
import os
import time
from optparse import OptionParser

from swift.common.daemon import Daemon, run_daemon
from swift.common.internal_client import InternalClient
from swift.common.recon import DEFAULT_RECON_CACHE_PATH
from swift.common.utils import AbstractRateLimiter, config_true_value, \
    dump_recon_cache, get_logger, non_negative_float, non_negative_int, \
    parse_options

from swift3_multipart import layout, lifecycle, storage, tasks

USER_AGENT = 'swift3-multipart-reaper'
DEFAULT_INTERVAL = 300
DEFAULT_REPORT_INTERVAL = 300
DEFAULT_TASKS_PER_SECOND = 50
DEFAULT_DELETES_PER_SECOND = 200
#: the recon cache file each pass ends by updating, in the format of the
#: other daemons' (one JSON object, by Swift's ``dump_recon_cache``):
#: ``mpu_reaper_pass_start`` (epoch), ``mpu_reaper_pass_duration`` (s),
#: ``mpu_reaper_last_pass`` (the pass's counts, ``errors`` among them) and
#: ``mpu_reaper_dry_run``
RECON_FILE = 'mpu_reaper.recon'


class RateLimiter(AbstractRateLimiter):
    """Swift's rate limiter on the reaper's clock and sleep (which a test
    replaces). A rate of 0 does not limit."""

    def __init__(self, max_rate, clock, sleep):
        super().__init__(max_rate)
        self._clock = clock
        self._sleep_for = sleep

    def _sleep(self, seconds):
        self._sleep_for(seconds)

    def wait(self, incr_by=1, now=None):
        super().wait(incr_by, now or self._clock())


class RateLimitedDeletes(object):
    """
    The reaper's InternalClient, whose every DELETE (of a part, a record, a
    task or a task container, by ``make_request`` or ``delete_object``)
    first waits for its ``limiter``. The rest passes through.
    """

    def __init__(self, swift, limiter):
        self._swift = swift
        self._limiter = limiter

    def __getattr__(self, name):
        return getattr(self._swift, name)

    def make_request(self, method, *args, **kwargs):
        if method == 'DELETE':
            self._limiter.wait()
        return self._swift.make_request(method, *args, **kwargs)

    def delete_object(self, *args, **kwargs):
        # InternalClient's delete_object calls its own make_request: one
        # wait per DELETE
        self._limiter.wait()
        return self._swift.delete_object(*args, **kwargs)

    def delete_container(self, *args, **kwargs):
        self._limiter.wait()
        return self._swift.delete_container(*args, **kwargs)


class MpuReaper(Daemon):
    """Aborts expired multipart uploads; one pass per ``interval``."""
    log_route = 'mpu-reaper'

    def __init__(self, conf, logger=None, swift=None, clock=time.time,
                 sleep=time.sleep):
        self.conf = conf
        # metrics under mpu-reaper., whatever the log_name
        self.logger = logger or get_logger(
            conf, log_route=self.log_route, statsd_tail_prefix=self.log_route)
        self.interval = float(conf.get('interval') or DEFAULT_INTERVAL)
        self.report_interval = float(
            conf.get('report_interval') or DEFAULT_REPORT_INTERVAL)
        self.dry_run = config_true_value(conf.get('dry_run', False))
        self.processes = non_negative_int(conf.get('processes', 0))
        self.process = non_negative_int(conf.get('process', 0))
        self._check_processes()
        swift = swift or InternalClient(
            conf.get('internal_client_conf_path',
                     '/etc/swift/internal-client.conf'),
            USER_AGENT, int(conf.get('request_tries') or 3))
        # time.time and time.sleep, unless a test controls them
        self.clock = clock
        self.sleep = sleep
        self.tasks_per_second = non_negative_float(conf.get(
            'tasks_per_second', DEFAULT_TASKS_PER_SECOND))
        self.deletes_per_second = non_negative_float(conf.get(
            'deletes_per_second', DEFAULT_DELETES_PER_SECOND))
        self.swift = RateLimitedDeletes(swift, RateLimiter(
            self.deletes_per_second, clock, sleep))
        self.rcache = os.path.join(
            conf.get('recon_cache_path', DEFAULT_RECON_CACHE_PATH),
            RECON_FILE)
        self.stats = {}
        self.would_abort = []

    def _check_processes(self):
        if self.processes and self.process >= self.processes:
            raise ValueError('process must be less than processes')

    def _options(self, kwargs):
        """Command line options win over the config file."""
        if kwargs.get('processes') is not None:
            self.processes = non_negative_int(kwargs['processes'])
        if kwargs.get('process') is not None:
            self.process = non_negative_int(kwargs['process'])
        self._check_processes()
        if kwargs.get('dry_run'):
            self.dry_run = True

    def run_forever(self, *args, **kwargs):
        self._options(kwargs)
        while True:
            begin = self.clock()
            try:
                self.run_once()
            except Exception:
                self.logger.exception('Unhandled exception')
            self.sleep(max(0.0, self.interval - (self.clock() - begin)))

    def run_once(self, *args, **kwargs):
        """
        One pass over the due tasks.

        :param kwargs: ``now`` (seconds since the epoch; default the clock),
            ``dry_run``, ``processes``, ``process`` from the command line.
        """
        self._options(kwargs)
        now = float(kwargs.get('now') or self.clock())
        self.stats = dict.fromkeys((
            'tasks', 'aborted', 'parts', 'bytes', 'gone', 'no_rule',
            'moved', 'errors'), 0)
        self.would_abort = []
        self._buckets = {}
        self._oldest_due = None
        self._task_limiter = RateLimiter(self.tasks_per_second, self.clock,
                                         self.sleep)
        begin = self.last_report = self.clock()
        self.logger.info('Pass beginning%s at %s', ' (dry run)' if
                         self.dry_run else '', lifecycle.iso(now))
        if not self.dry_run and not self.swift.container_exists(
                tasks.TASK_ACCOUNT, tasks.ANCHOR_CONTAINER):
            # makes the task account (the internal client autocreates
            # accounts), so that proxies without account_autocreate can
            # create task containers in it
            self.swift.create_container(tasks.TASK_ACCOUNT,
                                        tasks.ANCHOR_CONTAINER)
        for container in self.swift.iter_containers(
                tasks.TASK_ACCOUNT, acceptable_statuses=storage.OK_OR_GONE):
            if not container['name'].isdigit():
                continue
            if int(container['name']) > now:
                break
            self._container_pass(container['name'], now)
        elapsed = self.clock() - begin
        self.logger.info('Pass completed in %ds: %s', elapsed,
                         ', '.join('%s %d' % kv for kv in sorted(
                             self.stats.items())))
        if self._oldest_due is not None:
            self.logger.timing('oldest_task_lag',
                               max(0.0, now - self._oldest_due) * 1000)
        dump_recon_cache({'mpu_reaper_pass_start': begin,
                          'mpu_reaper_pass_duration': elapsed,
                          'mpu_reaper_last_pass': dict(self.stats),
                          'mpu_reaper_dry_run': self.dry_run},
                         self.rcache, self.logger)
        return self.stats

    def _mine(self, name):
        return not self.processes or \
            tasks.hash_mod(name, self.processes) == self.process

    def _container_pass(self, container, now):
        for row in self.swift.iter_objects(tasks.TASK_ACCOUNT, container):
            epoch = row['name'].partition('-')[0]
            if not self._mine(row['name']) or \
                    not epoch.isdigit() or int(epoch) > now:
                continue
            self._task_limiter.wait()
            self.stats['tasks'] += 1
            self.logger.increment('tasks')
            if self._oldest_due is None or int(epoch) < self._oldest_due:
                self._oldest_due = int(epoch)
            try:
                self._task(container, row['name'], now)
            except Exception:
                self.stats['errors'] += 1
                self.logger.increment('errors')
                self.logger.exception('task %s/%s', container, row['name'])
            if self.clock() - self.last_report >= self.report_interval:
                self.logger.info('Pass so far: %s', self.stats)
                self.last_report = self.clock()
        if not self.dry_run:
            # gone when empty; not yet (409) while it holds tasks
            self.swift.delete_container(
                tasks.TASK_ACCOUNT, container,
                acceptable_statuses=storage.OK_OR_GONE + (409,))

    def _bucket_rules(self, account, bucket):
        if (account, bucket) not in self._buckets:
            self._buckets[account, bucket] = storage.bucket_rules(
                storage.head(self.swift, account, bucket))
        return self._buckets[account, bucket]

    def _task(self, container, name, now):
        resp = self.swift.make_request(
            'GET', self.swift.make_path(tasks.TASK_ACCOUNT, container, name),
            {}, storage.OK_OR_GONE)
        if resp.status_int == 404:
            return   # another reaper did it
        task = tasks.parse_task(name, resp.body)
        account, bucket = task['account'], task['bucket']
        key, upload_id = task['key'], task['upload_id']
        initiated = storage.marker_initiated(
            self.swift, account, bucket, key, upload_id)
        abort = None
        if initiated is not None:
            abort = lifecycle.abort_rule(
                self._bucket_rules(account, bucket), key, initiated,
                task['default_days'], task['max_days'])
        what = '%s/%s/%s upload %s' % (account, bucket, key, upload_id)
        if initiated is None:
            self.stats['gone'] += 1
            if layout.is_ours(upload_id) and not self.dry_run:
                # what a Complete's lagging listing, or an UploadPart
                # after it, left
                self._freed(*storage.sweep_upload(
                    self.swift, account, bucket, key, upload_id))
        elif abort is None:
            self.stats['no_rule'] += 1
            self.logger.info('no rule aborts %s any more', what)
        elif abort.epoch > now:
            self.stats['moved'] += 1
            self.logger.info('%s: rule %s now aborts it at %d', what,
                             abort.rule_id, abort.epoch)
            if not self.dry_run:
                self._requeue(task, abort)
        elif self.dry_run:
            parts = storage.upload_parts(self.swift, account, bucket, key,
                                         upload_id)
            self._aborted(what, abort, len(parts),
                          sum(size for _, size in parts))
            self.would_abort.append(dict(task, rule_id=abort.rule_id,
                                         abort_epoch=abort.epoch))
        else:
            self._aborted(what, abort, *storage.abort_upload(
                self.swift, account, bucket, key, upload_id))
        if not self.dry_run:
            self.swift.delete_object(tasks.TASK_ACCOUNT, container, name,
                                     acceptable_statuses=storage.OK_OR_GONE)
            self.logger.increment('tasks_dropped')

    def _freed(self, parts, size):
        """Count parts freed (in a dry run: that would be)."""
        self.stats['parts'] += parts
        self.stats['bytes'] += size
        if size and not self.dry_run:
            self.logger.update_stats('bytes_freed', size)

    def _aborted(self, what, abort, parts, size):
        self.stats['aborted'] += 1
        self._freed(parts, size)
        self.logger.info('%s %s (rule %s, due %d): %d parts, %d bytes',
                         'would abort' if self.dry_run else 'aborted', what,
                         abort.rule_id, abort.epoch, parts, size)
        self.logger.increment('would_abort' if self.dry_run else 'aborted')

    def _requeue(self, task, abort):
        name = tasks.task_name(abort.epoch, task['account'], task['bucket'],
                               task['upload_id'])
        container = tasks.task_container(name, abort.epoch)
        body = tasks.task_body(task['key'], task['default_days'],
                               task['max_days'])
        self.swift.create_container(tasks.TASK_ACCOUNT, container)
        self.swift.upload_object(
            io.BytesIO(body), tasks.TASK_ACCOUNT, container, name,
            headers={'Content-Type': tasks.TASK_CONTENT_TYPE,
                     'Content-Length': str(len(body))})


def main(argv=None):
    parser = OptionParser('%prog CONFIG [options]')
    parser.add_option('--processes', dest='processes',
                      help='Number of reapers that share the tasks')
    parser.add_option('--process', dest='process',
                      help='Which of them this one is (0 to processes - 1)')
    parser.add_option('--dry-run', dest='dry_run', action='store_true',
                      default=False,
                      help='Report what would be aborted, change nothing')
    parser.add_option('--now', dest='now', type='float',
                      help='With --once: the pass runs as if it were this '
                           'time (seconds since the epoch)')
    conf_file, options = parse_options(parser=parser, once=True,
                                       test_args=argv)
    run_daemon(MpuReaper, conf_file, **options)


if __name__ == '__main__':
    main()
