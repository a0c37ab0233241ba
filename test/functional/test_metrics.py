"""StatsD metrics on a real SAIO (issue 13 item 2).

A UDP socket on 127.0.0.1 (base port + 348) catches what the proxies send:
a SAIO of its own (base port + 340) whose ``[filter:s3api]`` has
``log_statsd_host``/``log_statsd_port`` pointed at it. The reaper's metrics
come from a pass with the same options. See README "Metrics".
"""

import re
import socket
import threading
import time

from swift3_multipart import reaper
from test.functional import extra_saio, figures
from test.functional.base import BucketTestCase, MIN_PART, saio, \
    unlimited_reaper_conf
from test.functional.figures import print_figures  # noqa: F401

OFFSET = 340
COLLECTOR_OFFSET = OFFSET + 8
_METRIC = re.compile(r'^([^:]+):([-0-9.]+)\|(c|ms)(?:\|@[0-9.]+)?$')


class Collector(object):
    """Every StatsD line sent to 127.0.0.1:``port``, as it comes."""

    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.1', port))
        self.sock.settimeout(0.2)
        self.port = port
        self.lines = []
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop:
            try:
                data, _ = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            self.lines.extend(data.decode('utf-8', 'replace').splitlines())

    def metrics(self):
        """[(name, value, type)] of the lines so far."""
        found = []
        for line in list(self.lines):
            match = _METRIC.match(line)
            if match:
                found.append((match.group(1), float(match.group(2)),
                              match.group(3)))
        return found

    def wait_for(self, names, timeout=10.0):
        """Wait until every name was seen (or the timeout): a state one can
        read, not a guess of how long sending takes."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if set(names) <= {n for n, _, _ in self.metrics()}:
                break
            time.sleep(0.05)
        return self.metrics()

    def close(self):
        self._stop = True
        self._thread.join()
        self.sock.close()


_STARTED = []


def statsd_options():
    return {'log_statsd_host': '127.0.0.1',
            'log_statsd_port': str(_STARTED[0][0].port)}


def setUpModule():
    # the socket first: no line is sent before it listens
    collector = Collector(saio().config.base_port + COLLECTOR_OFFSET)
    setup, teardown = extra_saio.module_saio(
        'metrics', OFFSET, log_statsd_host='127.0.0.1',
        log_statsd_port=str(collector.port))
    try:
        setup()
    except BaseException:
        collector.close()
        raise
    _STARTED.append((collector, teardown))


def tearDownModule():
    collector, teardown = _STARTED.pop()
    try:
        teardown()
    finally:
        collector.close()


class TestMetrics(BucketTestCase):
    def setUp(self):
        super().setUp()
        self.collector = _STARTED[0][0]

    def values(self, found, name):
        return [v for n, v, _ in found if n == name]

    def test_every_operation(self):
        self.s3.put_object(Bucket=self.bucket, Key='src', Body=b's' * 100)
        upload_id = self.create()
        parts = [self.upload(upload_id, 1, b'1' * MIN_PART)]
        copied = self.s3.upload_part_copy(
            Bucket=self.bucket, Key='obj', UploadId=upload_id, PartNumber=2,
            CopySource={'Bucket': self.bucket, 'Key': 'src'})
        parts.append({'PartNumber': 2,
                      'ETag': copied['CopyPartResult']['ETag']})
        self.s3.list_parts(Bucket=self.bucket, Key='obj', UploadId=upload_id)
        self.s3.list_multipart_uploads(Bucket=self.bucket)
        self.complete(upload_id, parts)
        # an Abort that frees two parts of 7 bytes
        other = self.create('other')
        self.upload(other, 1, b'a' * 7, key='other')
        self.upload(other, 2, b'b' * 7, key='other')
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key='other',
                                       UploadId=other)
        # an error: 4xx
        self.assertS3Error('NoSuchUpload', 404, self.s3.list_parts,
                           Bucket=self.bucket, Key='obj', UploadId=upload_id)
        operations = ('create', 'upload_part', 'upload_part_copy',
                      'list_parts', 'list_uploads', 'complete', 'abort')
        expected = ['s3api.mpu.%s.2xx' % op for op in operations] + [
            's3api.mpu.%s.timing' % op for op in operations] + [
            's3api.mpu.list_parts.4xx', 's3api.mpu.complete.parts',
            's3api.mpu.cleanup.objects_freed',
            's3api.mpu.cleanup.bytes_freed']
        found = self.collector.wait_for(expected)
        names = {n for n, _, _ in found}
        self.assertEqual([], sorted(set(expected) - names))
        self.assertIn(2.0, self.values(found, 's3api.mpu.complete.parts'))
        self.assertIn(2.0, self.values(found,
                                       's3api.mpu.cleanup.objects_freed'))
        self.assertIn(14.0, self.values(found,
                                        's3api.mpu.cleanup.bytes_freed'))
        for op in operations:
            self.assertEqual({'ms'}, {t for n, _, t in found
                                      if n == 's3api.mpu.%s.timing' % op})
        figures.record('metrics', '%d StatsD lines caught, %d names, '
                       'e.g. %s' % (len(found), len(names), ', '.join(
                           sorted(n for n in names
                                  if n.startswith('s3api.mpu.complete')))))

    def test_reaper(self):
        self.s3.put_bucket_lifecycle_configuration(
            Bucket=self.bucket, LifecycleConfiguration={'Rules': [{
                'ID': 'all', 'Filter': {}, 'Status': 'Enabled',
                'AbortIncompleteMultipartUpload': {
                    'DaysAfterInitiation': 1}}]})
        upload_id = self.create('due')
        self.upload(upload_id, 1, b'd' * 9, key='due')
        stats = reaper.MpuReaper(
            unlimited_reaper_conf(**statsd_options()),
            swift=saio().internal_client()).run_once(
                now=time.time() + 2 * 86400)
        self.assertGreaterEqual(stats['aborted'], 1)
        expected = ['mpu-reaper.tasks', 'mpu-reaper.tasks_dropped',
                    'mpu-reaper.aborted', 'mpu-reaper.bytes_freed',
                    'mpu-reaper.oldest_task_lag']
        found = self.collector.wait_for(expected)
        self.assertEqual([], sorted(set(expected) - {
            n for n, _, _ in found}))
        self.assertIn(9.0, self.values(found, 'mpu-reaper.bytes_freed'))
        lag = self.values(found, 'mpu-reaper.oldest_task_lag')
        # due a day after Create (rounded up to midnight), the pass two
        # days on: between 0 and 2 days late
        self.assertTrue(all(0 <= v <= 2 * 86400 * 1000 for v in lag), lag)
