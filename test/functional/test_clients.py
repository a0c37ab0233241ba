"""Real S3 clients upload 64 MiB through multipart and read it back.

Each client uploads the same 64 MiB of random bytes with its own multipart
code, downloads the object with its own download code, and the test compares
the bytes and the ETag (AWS's multipart ETag of the client's part size).
The clients are pinned in ``setup.py``'s ``test`` extra (rclone: Debian's
package, installed here by ``apt-get`` when missing; the test skips, saying
why, only if that install fails).

At the end the run prints ``clients: N of M passed ...; bytes lost = 0``.
"""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import zlib

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from test.functional import figures
from test.functional.base import BucketTestCase, client, saio, MIB, \
    aws_multipart_etag, error_code
from test.functional.figures import print_figures  # noqa: F401

SIZE = 64 * MIB
USER = 'test:tester'
# client -> [did its test pass, ...]; [] if skipped
RESULTS = {}
BYTES = {'lost': 0, 'checked': 0}
_PAYLOAD = []


def payload():
    """The 64 MiB every client uploads (made once per module)."""
    if not _PAYLOAD:
        _PAYLOAD.append(os.urandom(SIZE))
    return _PAYLOAD[0]


def chunks(data, size):
    return [data[i:i + size] for i in range(0, len(data), size)]


def bytes_lost(expected, got):
    """How many bytes of ``expected`` ``got`` does not have, in place."""
    if expected == got:
        return 0
    common = min(len(expected), len(got))
    return len(expected) - common + sum(
        a != b for a, b in zip(expected[:common], got[:common]))


def run(argv, env=None, timeout=300):
    """Run a client's command; fail with its output if it fails."""
    proc = subprocess.run(argv, env=env, capture_output=True, text=True,
                          timeout=timeout)
    if proc.returncode:
        raise AssertionError('%s exited %d\nstdout: %s\nstderr: %s' % (
            ' '.join(argv), proc.returncode, proc.stdout[-2000:],
            proc.stderr[-2000:]))
    return proc.stdout


def client_env(**settings):
    """The environment of a client's command: ours, no AWS_* of the
    caller's (a profile, a CA bundle rclone then fails to load)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith('AWS_')}
    env.update(settings)
    return env


def venv_bin(name):
    """A console script installed beside this Python (the venv's)."""
    return os.path.join(os.path.dirname(sys.executable), name)


def tearDownModule():
    if not RESULTS:
        return
    passed = sorted(name for name, oks in RESULTS.items()
                    if oks and all(oks))
    failed = sorted(name for name, oks in RESULTS.items() if not all(oks))
    skipped = sorted(name for name, oks in RESULTS.items() if not oks)
    figures.record('clients', '%d of %d passed (%s)%s%s; %d MiB uploaded '
                   'and read back per client, %d bytes compared, '
                   'bytes lost = %d' % (
                       len(passed), len(RESULTS), ', '.join(passed),
                       '; failed: ' + ', '.join(failed) if failed else '',
                       '; skipped: ' + ', '.join(skipped) if skipped else '',
                       SIZE // MIB, BYTES['checked'], BYTES['lost']))


class ClientTestCase(BucketTestCase):
    """A bucket, a temporary directory and the 64 MiB payload in a file."""

    client_name = None

    def setUp(self):
        super(ClientTestCase, self).setUp()
        RESULTS.setdefault(self.client_name, [])
        self.env = saio().env()
        self.secret = self.env['users'][USER]
        self.port = int(self.env['endpoint'].rsplit(':', 1)[1])
        self.tmp = tempfile.mkdtemp(prefix='s3mp-clients-')
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.src = self.path('src')
        with open(self.src, 'wb') as f:
            f.write(payload())
        self._ok = False

    def tearDown(self):
        # a client passes if every one of its tests did
        RESULTS[self.client_name].append(self._ok)
        super(ClientTestCase, self).tearDown()

    def path(self, name):
        return os.path.join(self.tmp, name)

    def check_object(self, key, part_size, downloaded):
        """The object has the payload's multipart ETag; the client read
        back the payload (a path or bytes)."""
        head = self.s3.head_object(Bucket=self.bucket, Key=key)
        self.assertEqual(SIZE, head['ContentLength'])
        self.assertEqual(aws_multipart_etag(chunks(payload(), part_size)),
                         head['ETag'])
        if not isinstance(downloaded, bytes):
            with open(downloaded, 'rb') as f:
                downloaded = f.read()
        lost = bytes_lost(payload(), downloaded)
        BYTES['lost'] += lost
        BYTES['checked'] += SIZE
        self.assertEqual(0, lost, 'bytes differ from what was uploaded')
        self.assertEqual(hashlib.md5(payload()).hexdigest(),
                         hashlib.md5(downloaded).hexdigest())
        return head

    def assertNoUploads(self):
        """No upload in progress; the segments container holds the parts
        of the completed objects only: one upload id, parts 1..N."""
        self.assertEqual([], self.s3.list_multipart_uploads(
            Bucket=self.bucket).get('Uploads', []))
        parts = self.stored_parts()
        for listing in self.s3.get_paginator('list_objects_v2').paginate(
                Bucket=self.bucket):
            for obj in listing.get('Contents', []):
                etag = obj['ETag'].strip('"')
                if '-' in etag:
                    prefix = [k for k in parts if k[0] == obj['Key']]
                    self.assertEqual(1, len(prefix), prefix)
                    self.assertEqual(
                        list(range(1, 1 + int(etag.split('-')[1]))),
                        parts.pop(prefix[0]))
        self.assertEqual({}, parts, 'segments of no object')

    def passed(self):
        self._ok = True


class TestBoto3(ClientTestCase):
    client_name = 'boto3'

    def test_upload_file_crc32_concurrency_8(self):
        """Default settings (CRC32 checksums on every part), 8 threads."""
        s3 = client(max_pool_connections=8)
        sent = []
        s3.meta.events.register('before-send.s3.UploadPart', lambda request,
                                **kw: sent.append(request.headers))
        config = TransferConfig(max_concurrency=8,
                                multipart_chunksize=8 * MIB,
                                preferred_transfer_client='classic')
        s3.upload_file(self.src, self.bucket, 'big', Config=config)
        # botocore's default: the CRC32 of each part, in a header
        self.assertEqual(
            sorted(base64.b64encode(zlib.crc32(part).to_bytes(4, 'big'))
                   for part in chunks(payload(), 8 * MIB)),
            sorted(headers['x-amz-checksum-crc32'] for headers in sent))
        listed = s3.list_objects_v2(Bucket=self.bucket)['Contents']
        self.assertEqual([('big', SIZE)],
                         [(o['Key'], o['Size']) for o in listed])
        dst = self.path('dst')
        s3.download_file(self.bucket, 'big', dst, Config=config)
        head = self.check_object('big', 8 * MIB, dst)
        self.assertTrue(head['ETag'].endswith('-8"'))
        self.assertNoUploads()
        self.passed()


class TestAwsCli(ClientTestCase):
    client_name = 'aws-cli'

    def aws(self, *args):
        env = client_env(AWS_ACCESS_KEY_ID=USER,
                         AWS_SECRET_ACCESS_KEY=self.secret,
                         AWS_DEFAULT_REGION=self.env['region'],
                         AWS_CONFIG_FILE=os.devnull,
                         AWS_SHARED_CREDENTIALS_FILE=os.devnull)
        return run([venv_bin('aws'), '--endpoint-url', self.env['endpoint'],
                    '--output', 'json'] + list(args), env=env)

    def s3api(self, command, key, *args):
        out = self.aws('s3api', command, '--bucket', self.bucket,
                       '--key', key, *args)
        return json.loads(out) if out.strip() else {}

    def test_s3_cp(self):
        self.aws('s3', 'cp', self.src, 's3://%s/big' % self.bucket)
        dst = self.path('dst')
        self.aws('s3', 'cp', 's3://%s/big' % self.bucket, dst)
        # the CLI's default part size: 8 MiB
        self.check_object('big', 8 * MIB, dst)
        self.assertNoUploads()
        self.passed()

    def test_s3api_multipart_commands(self):
        """create/upload-part/list-parts/complete, then abort another."""
        part_size = 16 * MIB
        upload_id = self.s3api('create-multipart-upload', 'big')['UploadId']
        parts = []
        for number, data in enumerate(chunks(payload(), part_size), 1):
            part_file = self.path('part%d' % number)
            with open(part_file, 'wb') as f:
                f.write(data)
            etag = self.s3api('upload-part', 'big', '--upload-id', upload_id,
                              '--part-number', str(number),
                              '--body', part_file)['ETag']
            parts.append({'PartNumber': number, 'ETag': etag})
            os.unlink(part_file)
        listed = self.s3api('list-parts', 'big', '--upload-id', upload_id)
        self.assertEqual(parts, [{'PartNumber': p['PartNumber'],
                                  'ETag': p['ETag']}
                                 for p in listed['Parts']])
        self.assertEqual([part_size] * 4, [p['Size'] for p in listed['Parts']])
        with open(self.path('parts.json'), 'w') as f:
            json.dump({'Parts': parts}, f)
        done = self.s3api('complete-multipart-upload', 'big',
                          '--upload-id', upload_id, '--multipart-upload',
                          'file://' + self.path('parts.json'))
        self.assertEqual(aws_multipart_etag(chunks(payload(), part_size)),
                         done['ETag'])
        self.s3api('get-object', 'big', self.path('dst'))
        self.check_object('big', part_size, self.path('dst'))

        # abort: the upload and its part are gone, the object is untouched
        other = self.s3api('create-multipart-upload', 'big')['UploadId']
        with open(self.path('small'), 'wb') as f:
            f.write(b'abandoned' * 1000)
        self.s3api('upload-part', 'big', '--upload-id', other,
                   '--part-number', '1', '--body', self.path('small'))
        self.s3api('abort-multipart-upload', 'big', '--upload-id', other)
        self.assertNoUploads()
        with self.assertRaises(ClientError) as caught:
            self.s3.list_parts(Bucket=self.bucket, Key='big', UploadId=other)
        self.assertEqual('NoSuchUpload', error_code(caught.exception))
        self.check_object('big', part_size, self.read('big'))
        self.passed()


class FailingStream(object):
    """Yields ``good`` chunks of the payload, then raises (a disk error)."""

    def __init__(self, good, chunk_size):
        self.good = good
        self.chunk_size = chunk_size
        self.sent = 0

    def __iter__(self):
        for data in chunks(payload(), self.chunk_size)[:self.good]:
            self.sent += len(data)
            yield data
        raise IOError('the source failed after %d bytes' % self.sent)


class TestLibcloud(ClientTestCase):
    client_name = 'libcloud'

    def driver(self):
        # the generic S3 driver, SigV4, pointed at the SAIO; its object
        # paths are path-style ("/bucket/key")
        from libcloud.storage.providers import get_driver
        from libcloud.storage.types import Provider
        return get_driver(Provider.S3)(
            USER, self.secret, secure=False, host='127.0.0.1',
            port=self.port, region=self.env['region'])

    def test_upload_object_via_stream(self):
        from libcloud.storage.drivers.s3 import CHUNK_SIZE
        driver = self.driver()
        container = driver.get_container(self.bucket)
        obj = driver.upload_object_via_stream(
            iter(chunks(payload(), MIB)), container, 'big')
        self.assertEqual(SIZE, obj.size)
        # libcloud reads the stream in CHUNK_SIZE (5 MiB) parts
        self.assertEqual(aws_multipart_etag(chunks(payload(), CHUNK_SIZE)),
                         '"%s"' % obj.hash.strip('"'))
        got = b''.join(driver.download_object_as_stream(
            driver.get_object(self.bucket, 'big'), chunk_size=MIB))
        self.check_object('big', CHUNK_SIZE, got)
        self.assertNoUploads()
        self.passed()

    def test_failed_chunk_aborts_upload(self):
        """The stream fails after 3 parts: libcloud aborts the upload and
        nothing is left (no upload, no part, no object)."""
        from libcloud.storage.drivers.s3 import CHUNK_SIZE
        driver = self.driver()
        container = driver.get_container(self.bucket)
        stream = FailingStream(good=3 * CHUNK_SIZE // MIB, chunk_size=MIB)
        with self.assertRaises(IOError):
            driver.upload_object_via_stream(iter(stream), container, 'big')
        self.assertEqual(3 * CHUNK_SIZE, stream.sent)
        self.assertNoUploads()
        self.assertEqual([], self.live_segments())
        self.assertEqual(
            0, self.s3.list_objects_v2(Bucket=self.bucket)['KeyCount'])
        self.passed()


class TestS3cmd(ClientTestCase):
    client_name = 's3cmd'

    def s3cmd(self, *args):
        config = self.path('s3cfg')
        if not os.path.exists(config):
            host = '127.0.0.1:%d' % self.port
            with open(config, 'w') as f:
                f.write('\n'.join([
                    '[default]', 'access_key = ' + USER,
                    'secret_key = ' + self.secret,
                    'host_base = ' + host,
                    # no %(bucket)s: path-style requests
                    'host_bucket = ' + host,
                    'bucket_location = ' + self.env['region'],
                    'use_https = False', 'signature_v2 = False',
                    'progress_meter = False', '']))
        return run([venv_bin('s3cmd'), '-c', config] + list(args),
                   env=client_env())

    def test_put_get_multipart_chunk_5mb(self):
        url = 's3://%s/big' % self.bucket
        self.s3cmd('put', '--multipart-chunk-size-mb=5', self.src, url)
        self.s3cmd('get', url, self.path('dst'))
        self.check_object('big', 5 * MIB, self.path('dst'))
        self.assertNoUploads()
        self.passed()

    def test_multipart_listmp_abortmp(self):
        upload_id = self.create('stuck')
        parts = [self.upload(upload_id, n, os.urandom(2048), key='stuck')
                 for n in (1, 2)]
        out = self.s3cmd('multipart', 's3://%s' % self.bucket)
        self.assertIn(upload_id, out)
        self.assertIn('s3://%s/stuck' % self.bucket, out)
        out = self.s3cmd('listmp', 's3://%s/stuck' % self.bucket, upload_id)
        for part in parts:
            self.assertIn(part['ETag'], out)
        self.s3cmd('abortmp', 's3://%s/stuck' % self.bucket, upload_id)
        out = self.s3cmd('multipart', 's3://%s' % self.bucket)
        self.assertNotIn(upload_id, out)
        self.assertNoUploads()
        self.passed()


class TestMinio(ClientTestCase):
    client_name = 'minio-py'

    def test_fput_object_small_parts(self):
        from minio import Minio
        mc = Minio('127.0.0.1:%d' % self.port, access_key=USER,
                   secret_key=self.secret, secure=False,
                   region=self.env['region'])
        # minio's smallest part size
        result = mc.fput_object(self.bucket, 'big', self.src,
                                part_size=5 * MIB)
        etag = aws_multipart_etag(chunks(payload(), 5 * MIB))
        self.assertEqual(etag.strip('"'), result.etag.strip('"'))
        mc.fget_object(self.bucket, 'big', self.path('dst'))
        self.check_object('big', 5 * MIB, self.path('dst'))
        self.assertEqual(etag.strip('"'), mc.stat_object(
            self.bucket, 'big').etag.strip('"'))
        self.assertNoUploads()
        self.passed()


def rclone_binary():
    """Path of rclone; installs Debian's package once if it is missing.

    :returns: (path or None, why not)
    """
    if not shutil.which('rclone'):
        if os.geteuid() != 0 or not shutil.which('apt-get'):
            return None, 'no rclone, and apt-get cannot run here (not root)'
        env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
        for argv in (['apt-get', 'update', '-q'],
                     ['apt-get', 'install', '-y', '-q', 'rclone']):
            try:
                proc = subprocess.run(argv, env=env, capture_output=True,
                                      text=True, timeout=300)
            except (OSError, subprocess.TimeoutExpired) as exc:
                return None, '%s failed: %s' % (' '.join(argv), exc)
        if not shutil.which('rclone'):
            return None, 'apt-get install rclone failed: %s' % (
                proc.stderr[-500:],)
    return shutil.which('rclone'), None


class TestRclone(ClientTestCase):
    client_name = 'rclone'

    @classmethod
    def setUpClass(cls):
        super(TestRclone, cls).setUpClass()
        cls.rclone_path, why = rclone_binary()
        if not cls.rclone_path:
            RESULTS[cls.client_name] = []
            raise unittest.SkipTest(why)

    def rclone(self, *args):
        env = client_env(RCLONE_CONFIG=os.devnull)
        remote = {'type': 's3', 'provider': 'Other', 'env_auth': 'false',
                  'access_key_id': USER, 'secret_access_key': self.secret,
                  'endpoint': self.env['endpoint'],
                  'region': self.env['region'], 'force_path_style': 'true'}
        for key, value in remote.items():
            env['RCLONE_CONFIG_SAIO_' + key.upper()] = value
        return run([self.rclone_path] + list(args), env=env)

    def test_copy_small_chunks_then_check(self):
        src_dir = self.path('up')
        os.mkdir(src_dir)
        os.rename(self.src, os.path.join(src_dir, 'big'))
        remote = 'saio:%s' % self.bucket
        # below the cutoff rclone would PUT the file whole
        self.rclone('copy', '--s3-chunk-size', '5M', '--s3-upload-cutoff',
                    '5M', src_dir, remote)
        self.rclone('check', src_dir, remote)
        self.rclone('copy', remote + '/big', self.path('down'))
        self.check_object('big', 5 * MIB, self.path('down/big'))
        self.assertNoUploads()
        self.passed()
