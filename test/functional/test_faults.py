"""Faults: storage nodes and the proxy fail during multipart uploads.

A SAIO of its own with 3 replicas over 4 devices, one object server per
device (``object_servers_per_device``), on the session SAIO's base port +
240 (``$S3MP_FAULTS_BASE_PORT``); stopped and wiped after. Three faults:

* an object server is stopped during an upload (the one holding a replica
  of the upload marker): every UploadPart and the Complete succeed (the
  proxy writes to a handoff device), and the object reads back intact,
  bytes and ETag, both while the node is down and once it is back;
* the proxy is killed (SIGKILL) during the Complete of a many-part upload,
  at two points (once the Complete listed the parts; once it wrote the
  manifest), restarted, and the Complete retried: 200 with the same ETag,
  the same bytes, and nothing left behind: no upload marker, no part
  other than the object's segments, ListMultipartUploads empty. AWS
  documents that a Complete may fail, even after its 200, and the SDKs
  retry it
  (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html);
* an object server crashes (SIGKILL) during an Abort of many parts, once
  the Abort deleted a first part: the Abort answers 204 (the proxy sends
  the other DELETEs to a handoff). Once the node is back (and a new proxy
  no longer error-limits it), a repeated Abort answers 204 if the node
  still answered for the marker (and deletes it), else NoSuchUpload; no
  part is listed, no upload either. The node still holds its copies of the
  parts whose DELETE it missed: no request can reach them (the listing no
  longer names them). A SAIO runs no replicators, so the test runs one
  object-replicator pass, as a cluster's replicators would, and then finds
  no ``.data`` file of the upload on any device, and no marker.

The run prints ``faults: N faults survived ...; bytes lost = 0``.

``TestFaultsOurLayout`` runs the same faults on uploads of our layout (the
default), on a SAIO of its own (base port + 360): "the marker" is then the
upload's record (in the bucket's reserved index container, read through
the internal client), the parts are attempts, and the 0-byte abort record
an Abort leaves is not a leftover (it stays, see swift3_multipart/abort.py).
A Complete whose proxy died once it wrote the manifest leaves the record;
the retried Complete reads the abort record and removes the record, as
the dead one would have, and answers 200.
"""

import hashlib
import json
import os
import re
import threading
import time
import unittest
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.error import HTTPError
from urllib.parse import quote
from urllib.request import Request, urlopen

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from swift3_multipart import layout
from test.functional import extra_saio, figures
from test.functional.base import aws_multipart_etag, error_code
from test.functional.conftest import proxy_log_problems
from test.functional.figures import print_figures  # noqa: F401

ACCOUNT = 'AUTH_test'
# parts of the upload whose Complete the proxy dies in, per kill point
MANY_PARTS = 500
PART_SIZE = 1024    # conftest's min_segment_size
# parts of the upload whose Abort an object server crashes in
ABORT_PARTS = 100
# The proxy logs a backend request once it is answered. Kill it when the
# Complete's listing of the parts is logged (it then checks them and
# writes the manifest), or when the manifest PUT is (it then removes the
# marker).
KILL_POINTS = ('listed', 'written')
# What Swift's proxy logs, by design, about a node that is down (refused)
# or that died during a request (no response). Only such lines about the
# nodes the tests stopped are expected in the proxy log.
NODE_DOWN = re.compile(
    r'ERROR with Object server 127\.0\.0\.1:(\d+)/sdb\d+ re: .*: '
    r'(Connection refused|RemoteDisconnected\(.Remote end closed '
    r'connection without response.\))( \(txn: [^)]*\))?$')


def disk_copies(data_dir, name_prefix):
    """{object name: {'data': [device...], 'ts': [device...]}} of every
    ``.data`` and ``.ts`` file under ``data_dir`` of a name with that
    prefix (read from the file's metadata, as the object server does)."""
    from swift.obj.diskfile import read_metadata
    found = {}
    for device in sorted(os.listdir(data_dir)):
        top = os.path.join(data_dir, device, 'objects')
        for dirpath, _dirs, files in os.walk(top):
            for filename in files:
                kind = filename.rsplit('.', 1)[-1]
                if kind not in ('data', 'ts'):
                    continue
                name = read_metadata(os.path.join(dirpath, filename))['name']
                if name.startswith(name_prefix):
                    found.setdefault(name, {'data': [], 'ts': []})[
                        kind].append(device)
    return found


class RawSwift(object):
    """The SAIO's ``raw`` proxy (no auth): what Swift itself holds."""

    def __init__(self, endpoint):
        self.endpoint = endpoint

    def _url(self, container, obj=None):
        path = '/v1/%s/%s' % (ACCOUNT, quote(container))
        if obj is not None:
            path += '/' + quote(obj)
        return self.endpoint + path

    def status(self, method, container, obj):
        try:
            with urlopen(Request(self._url(container, obj), method=method),
                         timeout=30) as resp:
                return resp.status
        except HTTPError as err:
            return err.code

    def manifest_names(self, container, obj):
        """The segment names (in their container) an SLO manifest
        names."""
        with urlopen(self._url(container, obj) +
                     '?multipart-manifest=get', timeout=30) as resp:
            entries = json.loads(resp.read())
        return [entry['name'].split('/', 2)[2] for entry in entries]

    def names(self, container, prefix=''):
        names, marker = [], ''
        while True:
            url = '%s?format=json&prefix=%s&marker=%s' % (
                self._url(container), quote(prefix), quote(marker))
            with urlopen(url, timeout=30) as resp:
                page = json.loads(resp.read())
            if not page:
                return names
            names.extend(item['name'] for item in page)
            marker = names[-1]


class LogWatch(object):
    """New lines of some log files, from now on."""

    def __init__(self, paths):
        self.offsets = {path: os.path.getsize(path) for path in paths}

    def wait_for(self, pattern, timeout=60.0):
        """Poll until a new line matches ``pattern`` (a regular
        expression); :returns: True if one did within ``timeout``
        seconds."""
        regex = re.compile(pattern.encode())
        deadline = time.time() + timeout
        pending = dict.fromkeys(self.offsets, b'')
        while time.time() < deadline:
            for path in self.offsets:
                with open(path, 'rb') as log:
                    log.seek(self.offsets[path])
                    data = log.read()
                self.offsets[path] += len(data)
                lines = (pending[path] + data).split(b'\n')
                pending[path] = lines.pop()
                if any(regex.search(line) for line in lines):
                    return True
            time.sleep(0.002)
        return False


def background(func):
    """Run ``func`` in a thread; :returns: join(), which answers
    ('ok', result) or ('error', exception)."""
    outcome = []

    def run():
        try:
            outcome.append(('ok', func()))
        except (BotoCoreError, ClientError) as err:
            outcome.append(('error', err))
    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def join(timeout=120):
        thread.join(timeout)
        return outcome[0] if outcome else ('running', None)
    return join


class TestFaults(unittest.TestCase):
    """The faults on uploads of s3api's layout (its upload marker in the
    segments container, parts named by number)."""

    saio = None
    # the SAIO's name (and the figures'), its port offset, the layout
    name = 'faults'
    offset = 240
    upload_layout = 'stock'

    @classmethod
    def setUpClass(cls):
        # figures: faults survived, bytes checked and lost, leftovers
        cls.survived = []
        cls.bytes_checked = cls.bytes_lost = cls.leftovers = 0
        # of the object servers stopped (their errors are expected)
        cls.stopped_ports = set()
        cls.saio = extra_saio.start(cls.name, cls.offset, saio_options={
            'replicas': 3, 'object_servers_per_device': True,
            'proxies': ('ours', 'raw')}, upload_layout=cls.upload_layout)
        cls.raw = RawSwift(cls.saio.raw_endpoint)

    @classmethod
    def tearDownClass(cls):
        problems, node_down = [], 0
        for line in proxy_log_problems(cls.saio.proxy_log):
            match = NODE_DOWN.search(line)
            if match and int(match.group(1)) in cls.stopped_ports:
                node_down += 1
            else:
                problems.append(line)
        extra_saio.stop(cls.saio)
        figures.record(cls.name, (
            '%d faults survived (%s); bytes lost = %d of %d read back; '
            'leftovers = %d; proxy log problems = %d (%d errors about the '
            'stopped nodes expected)') % (
                len(cls.survived), '; '.join(cls.survived),
                cls.bytes_lost, cls.bytes_checked, cls.leftovers,
                len(problems), node_down))
        if problems:
            raise AssertionError('the %s SAIO\'s proxy logged:\n' % cls.name +
                                 '\n'.join(problems[:20]))

    def setUp(self):
        env = self.saio.env()
        self.s3 = boto3.client(
            's3', endpoint_url=env['endpoint'], region_name=env['region'],
            aws_access_key_id=env['access_key'],
            aws_secret_access_key=env['secret_key'],
            config=Config(s3={'addressing_style': 'path'},
                          retries={'max_attempts': 1},
                          max_pool_connections=8, read_timeout=120))
        self.bucket = 'faults-%s' % uuid.uuid4().hex[:16]
        self.s3.create_bucket(Bucket=self.bucket)
        self.segments = self.bucket + '+segments'
        # no test may leave a server down for the next
        self.addCleanup(self.start_all)

    def start_all(self):
        for name, state in self.saio.status().items():
            if not state['running']:
                if name.startswith('proxy-'):
                    self.saio.restart_proxy(name[len('proxy-'):])
                else:
                    self.saio.start_server(name)

    # --- helpers ----------------------------------------------------------

    def create(self, key):
        return self.s3.create_multipart_upload(
            Bucket=self.bucket, Key=key)['UploadId']

    def upload_parts(self, key, upload_id, parts, first=1, concurrency=1):
        def upload(number):
            resp = self.s3.upload_part(
                Bucket=self.bucket, Key=key, UploadId=upload_id,
                PartNumber=number, Body=parts[number - 1])
            self.assertEqual(resp['ResponseMetadata']['HTTPStatusCode'], 200)
            self.assertEqual(resp['ETag'], '"%s"' % hashlib.md5(
                parts[number - 1]).hexdigest())
            return {'PartNumber': number, 'ETag': resp['ETag']}
        numbers = range(first, len(parts) + 1)
        with ThreadPoolExecutor(concurrency) as pool:
            return list(pool.map(upload, numbers))

    def complete(self, key, upload_id, listed):
        return self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key=key, UploadId=upload_id,
            MultipartUpload={'Parts': listed})

    def assertReadsBack(self, key, parts):
        expected = b''.join(parts)
        resp = self.s3.get_object(Bucket=self.bucket, Key=key)
        body = resp['Body'].read()
        type(self).bytes_checked += len(expected)
        if body != expected:
            type(self).bytes_lost += len(expected)
        self.assertEqual(len(body), len(expected))
        self.assertTrue(body == expected, 'object %s changed' % key)
        self.assertEqual(resp['ETag'], aws_multipart_etag(parts))

    # --- what the layout stores -------------------------------------------

    def upload_object(self, key, upload_id):
        """(container, object) of the upload's marker."""
        return self.segments, '%s/%s' % (key, upload_id)

    def in_progress(self, key, upload_id):
        """True if the upload's marker is there."""
        return self.raw.status('HEAD', *self.upload_object(
            key, upload_id)) == 200

    def upload_segments(self, key, upload_id):
        """Names of the upload's parts in the segments container."""
        return self.raw.names(self.segments, '%s/%s/' % (key, upload_id))

    def object_segments(self, key, upload_id, count):
        """Names of the segments of the upload's completed object."""
        return ['%s/%s/%d' % (key, upload_id, n) for n in range(1, count + 1)]

    def stop_node(self, name):
        """Stop an object server; after the test, start it and restart
        the proxy."""
        self.stopped_ports.add(self.saio.config.port(name))
        self.assertIsNotNone(self.saio.stop_server(name))
        # The proxy error-limits the node it could not reach (for 60 s):
        # a new proxy forgets that, so that the next test's fault is the
        # only one (with a second node skipped, Swift writes two copies
        # and sends one container replica no update).
        self.addCleanup(self.saio.restart_proxy, 'ours')

    def node_of(self, container, name):
        """The object server of a device holding ``container/name``."""
        path = '/%s/%s/%s' % (ACCOUNT, container, name)
        copies = disk_copies(self.saio.config.data_dir, path)
        devices = copies[path]['data']
        self.assertEqual(len(devices), 3, copies)
        return 'object-' + devices[0]

    def upload_node(self, key, upload_id):
        """The object server of a device holding the upload's marker."""
        return self.node_of(*self.upload_object(key, upload_id))

    def assertNoLeftovers(self, key, upload_id, segments):
        """No marker, no part of ``upload_id`` but ``segments``, no upload
        listed."""
        left = []
        if self.in_progress(key, upload_id):
            left.append('marker')
        names = self.upload_segments(key, upload_id)
        left.extend(sorted(set(names) - set(segments)))
        uploads = self.s3.list_multipart_uploads(Bucket=self.bucket).get(
            'Uploads', [])
        left.extend('upload %s' % u['UploadId'] for u in uploads)
        type(self).leftovers += len(left)
        self.assertEqual([], left)
        self.assertEqual(sorted(segments), sorted(names))

    def part_copies(self, prefix):
        """:func:`disk_copies` of the upload's parts."""
        return disk_copies(self.saio.config.data_dir, prefix)

    # --- the faults -------------------------------------------------------

    def test_object_server_stopped_during_upload(self):
        key = 'stopped-node'
        parts = [os.urandom(64 * 1024) for _ in range(7)] + [b'last']
        upload_id = self.create(key)
        listed = self.upload_parts(key, upload_id, parts[:3])
        node = self.upload_node(key, upload_id)
        self.stop_node(node)

        listed += self.upload_parts(key, upload_id, parts, first=4)
        self.assertEqual(len(self.s3.list_parts(
            Bucket=self.bucket, Key=key, UploadId=upload_id)['Parts']), 8)
        resp = self.complete(key, upload_id, listed)
        self.assertEqual(resp['ETag'], aws_multipart_etag(parts))
        self.assertReadsBack(key, parts)
        segments = self.object_segments(key, upload_id, len(parts))
        self.assertNoLeftovers(key, upload_id, segments)

        self.saio.start_server(node)
        self.assertReadsBack(key, parts)
        # The node that was down still has the marker: Complete's DELETE
        # went to a handoff. Until the replicators push that tombstone, a
        # proxy that asks the node first sees the upload in progress.
        self.saio.replicate_objects()
        self.assertReadsBack(key, parts)
        self.assertNoLeftovers(key, upload_id, segments)
        self.survived.append('object server stopped during an upload of '
                             '%d parts' % len(parts))

    def test_node_back_with_stale_marker(self):
        """
        A node that was down during the Complete comes back with a copy of
        the marker (no replicator pass yet): an UploadPart of a completed
        part must not overwrite the object's segment.
        """
        key = 'stale-marker'
        parts = [os.urandom(2048) for _ in range(3)]
        upload_id = self.create(key)
        listed = self.upload_parts(key, upload_id, parts)
        node = self.upload_node(key, upload_id)
        self.stop_node(node)
        self.complete(key, upload_id, listed)
        self.saio.start_server(node)
        self.saio.restart_proxy('ours')   # it error-limited the node
        answers = []
        for _ in range(30):
            try:
                self.s3.upload_part(Bucket=self.bucket, Key=key,
                                    UploadId=upload_id, PartNumber=2,
                                    Body=b'x' * 2048)
                answers.append('OK')
            except ClientError as err:
                answers.append(err.response['Error']['Code'])
        self.assertEqual(['NoSuchUpload'] * 30, answers)
        self.assertReadsBack(key, parts)
        self.survived.append('object server back with a stale marker copy '
                             '(30 UploadParts refused)')

    def test_proxy_killed_during_complete(self):
        for point in KILL_POINTS:
            with self.subTest(point=point):
                self._kill_during_complete(point)

    def _kill_during_complete(self, point):
        key = 'killed-proxy-%s' % point
        parts = [b'%-*d' % (PART_SIZE, n) for n in range(1, MANY_PARTS + 1)]
        upload_id = self.create(key)
        listed = self.upload_parts(key, upload_id, parts, concurrency=8)
        # the backend servers log each request once answered
        path = '/%s/%s' % (ACCOUNT, self.bucket)
        logs, pattern = {
            # a listing of the parts (the container server logs no query)
            'listed': (['container'], '"GET /[^/]+/[0-9]+%s%%2Bsegments"' % (
                re.escape(path))),
            # the manifest, on its first node
            'written': (self.saio.config.object_servers,
                        '"PUT /[^/]+/[0-9]+%s/%s"' % (
                            re.escape(path), re.escape(key))),
        }[point]
        watch = LogWatch([self.saio.config.log_path(n) for n in logs])
        join = background(lambda: self.complete(key, upload_id, listed))
        self.assertTrue(watch.wait_for(pattern), 'no %r logged' % pattern)
        self.assertIsNotNone(self.saio.kill_proxy('ours'))
        outcome, result = join()
        # the client got no answer: the proxy died during the Complete
        self.assertEqual('error', outcome, result)
        self.assertNotIsInstance(result, ClientError)

        self.saio.restart_proxy('ours')
        obj = self.raw.status('HEAD', self.bucket, key)
        left = 'marker %s, object %s' % (
            'kept' if self.in_progress(key, upload_id) else 'gone',
            'written' if obj == 200 else 'absent')

        resp = self.complete(key, upload_id, listed)
        self.assertEqual(resp['ResponseMetadata']['HTTPStatusCode'], 200)
        self.assertEqual(resp['ETag'], aws_multipart_etag(parts))
        self.assertReadsBack(key, parts)
        self.assertNoLeftovers(key, upload_id, self.object_segments(
            key, upload_id, MANY_PARTS))
        self.survived.append('proxy killed once the Complete of %d parts '
                             '%s (left %s)' % (MANY_PARTS, point, left))

    def test_object_server_crashed_during_abort(self):
        key = 'aborted'
        parts = [os.urandom(PART_SIZE) for _ in range(ABORT_PARTS)]
        upload_id = self.create(key)
        self.upload_parts(key, upload_id, parts, concurrency=8)
        node = self.upload_node(key, upload_id)

        watch = LogWatch([self.saio.config.log_path(n)
                          for n in self.saio.config.object_servers])
        join = background(lambda: self.s3.abort_multipart_upload(
            Bucket=self.bucket, Key=key, UploadId=upload_id))
        # crash the node once the Abort deleted a first part
        self.assertTrue(watch.wait_for('"DELETE /[^/]+/[0-9]+%s/' % (
            re.escape('/%s/%s%%2Bsegments/%s/%s' % (
                ACCOUNT, self.bucket, key, upload_id)))))
        self.stopped_ports.add(self.saio.config.port(node))
        self.assertIsNotNone(self.saio.stop_server(node, crash=True))
        self.addCleanup(self.saio.restart_proxy, 'ours')
        self.assertEqual('running', join(timeout=0)[0],
                         'the Abort ended before the node crashed')
        outcome, result = join()
        first = ('204' if outcome == 'ok' else error_code(result)
                 if isinstance(result, ClientError) else repr(result))

        self.saio.start_server(node)
        # a proxy that does not error-limit the node that was down (as
        # after error_suppression_interval): it may answer for the marker
        self.saio.restart_proxy('ours')
        try:
            self.s3.abort_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id)
            again = '204'
        except ClientError as err:
            self.assertEqual('NoSuchUpload', error_code(err))
            again = 'NoSuchUpload'
        self.assertEqual([], self.upload_segments(key, upload_id))
        self.assertEqual([], self.s3.list_multipart_uploads(
            Bucket=self.bucket).get('Uploads', []))

        prefix = '/%s/%s/%s/%s/' % (ACCOUNT, self.segments, key, upload_id)
        stale = sum(len(c['data']) for c in self.part_copies(
            prefix).values())
        # what Abort cannot reach: the node's copies of parts whose DELETE
        # went to a handoff; the replicators of a cluster remove them
        self.saio.replicate_objects()
        copies = self.part_copies(prefix)
        self.assertEqual({}, {name: c['data'] for name, c in copies.items()
                              if c['data']})
        self.assertNoLeftovers(key, upload_id, [])
        with self.assertRaises(ClientError) as caught:
            self.s3.abort_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id)
        self.assertEqual('NoSuchUpload', error_code(caught.exception))
        self.survived.append(
            'object server crashed during an Abort of %d parts (Abort: %s, '
            'repeated: %s; %d stale copies until a replicator pass)' % (
                ABORT_PARTS, first, again, stale))


class TestFaultsOurLayout(TestFaults):
    """The same faults on uploads of our layout (the default): the upload's
    record in the bucket's reserved index container, each part an attempt
    of a name of its own, the abort record (0 bytes) that an Abort leaves
    in the segments container."""

    name = 'faults-ours'
    offset = 360
    upload_layout = 'immutable'

    def upload_object(self, key, upload_id):
        return (layout.index_container(self.bucket),
                layout.record_name(key, upload_id))

    def in_progress(self, key, upload_id):
        # (reserved names: through the internal client, not the proxy)
        ic = self.saio.internal_client()
        resp = ic.make_request('HEAD', ic.make_path(
            ACCOUNT, *self.upload_object(key, upload_id)),
            {layout.RESERVED_NAMES_HEADER: 'true'}, (2, 404))
        return resp.status_int // 100 == 2

    def upload_segments(self, key, upload_id):
        return [name for name in super().upload_segments(key, upload_id)
                if not layout.is_abort_record(name)]

    def object_segments(self, key, upload_id, count):
        names = self.raw.manifest_names(self.bucket, key)
        self.assertEqual(count, len(names))
        return names

    def part_copies(self, prefix):
        return {name: copies
                for name, copies in super().part_copies(prefix).items()
                if not layout.is_abort_record(name.split('/', 3)[3])}


if __name__ == '__main__':
    unittest.main()
