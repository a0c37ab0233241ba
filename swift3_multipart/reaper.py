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
would be aborted, change nothing), ``report_interval``.

Uploads created before a rule that covers them existed have no task: the
audit tool (:mod:`swift3_multipart.audit`, ``--abort-expired``) finds them.
"""

import io
import time
from optparse import OptionParser

from swift.common.daemon import Daemon, run_daemon
from swift.common.internal_client import InternalClient
from swift.common.utils import config_true_value, get_logger, \
    non_negative_int, parse_options

from swift3_multipart import layout, lifecycle, storage, tasks

USER_AGENT = 'swift3-multipart-reaper'


class MpuReaper(Daemon):
    """Aborts expired multipart uploads; one pass per ``interval``."""
    log_route = 'mpu-reaper'

    def __init__(self, conf, logger=None, swift=None, clock=time.time,
                 sleep=time.sleep):
        self.conf = conf
        self.logger = logger or get_logger(conf, log_route=self.log_route)
        self.interval = float(conf.get('interval') or 300)
        self.report_interval = float(conf.get('report_interval') or 300)
        self.dry_run = config_true_value(conf.get('dry_run', False))
        self.processes = non_negative_int(conf.get('processes', 0))
        self.process = non_negative_int(conf.get('process', 0))
        self._check_processes()
        self.swift = swift or InternalClient(
            conf.get('internal_client_conf_path',
                     '/etc/swift/internal-client.conf'),
            USER_AGENT, int(conf.get('request_tries') or 3))
        # time.time and time.sleep, unless a test controls them
        self.clock = clock
        self.sleep = sleep
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
        begin = self.last_report = self.clock()
        self.logger.info('Pass beginning%s at %s', ' (dry run)' if
                         self.dry_run else '', time.strftime(
                             '%Y-%m-%dT%H:%M:%SZ', time.gmtime(now)))
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
        self.logger.info('Pass completed in %ds: %s', self.clock() - begin,
                         ', '.join('%s %d' % kv for kv in sorted(
                             self.stats.items())))
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
            self.stats['tasks'] += 1
            try:
                self._task(container, row['name'], now)
            except Exception:
                self.stats['errors'] += 1
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
                parts, size = storage.sweep_upload(
                    self.swift, account, bucket, key, upload_id)
                self.stats['parts'] += parts
                self.stats['bytes'] += size
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

    def _aborted(self, what, abort, parts, size):
        self.stats['aborted'] += 1
        self.stats['parts'] += parts
        self.stats['bytes'] += size
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
