"""TLS: multipart uploads from boto3 over https, with aws-chunked bodies.

Over plain http boto3 puts an UploadPart's checksum in a header; over
https, as against AWS, it sends the body ``Content-Encoding: aws-chunked``
with the checksum in a trailer (``x-amz-trailer``) and
``x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER``. These tests
run on a SAIO of their own whose proxies serve https with a certificate
made at start (``Saio(tls=True)``), on the session SAIO's base port + 240
(``$S3MP_TLS_BASE_PORT``). The clients are boto3 with its default settings
(checksums when supported), trusting that certificate, except for one
attempt per request so that no retry hides an error.

Every test records the headers boto3 sent (the ``before-send`` event) and
checks that each UploadPart was aws-chunked with a trailer; then it reads
the object back and compares bytes, ETag and checksum with what it
computes itself. The proxies' logs must stay free of tracebacks and 500s.
The run prints ``TLS: N multipart uploads round-tripped ...``.

https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
"""

import base64
import collections
import os
import shutil
import tempfile
import unittest
import uuid

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

from swift3_multipart.checksums import HASHERS   # name -> hashlib-like
from test.functional import extra_saio, figures
from test.functional.base import MIB, MIN_PART, aws_multipart_etag
from test.functional.conftest import proxy_log_problems
from test.functional.figures import print_figures  # noqa: F401

OFFSET = 240
STREAMING_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'
# s3transfer's smallest part
TRANSFER_PART = 5 * MIB
# parts of the explicit uploads: one over botocore's 1 MiB aws-chunked
# chunk, one at the minimum size (TEST_S3API_OPTIONS), a short last one
PART_SIZES = (MIB + 17, MIN_PART, 100)
# the TLS SAIO
_SAIO = []
# what the run did, for the figure
UPLOADS = collections.Counter()      # (proxy, algorithm) -> round trips
CHUNKED_PARTS = []                   # UploadPart requests checked


def setUpModule():
    _SAIO.append(extra_saio.start('tls', OFFSET, saio_options={'tls': True}))


def tearDownModule():
    problems = []
    if _SAIO:
        # as conftest does for the session SAIO, for both proxies
        for path in _SAIO[0].env()['proxy_logs'].values():
            problems.extend(proxy_log_problems(path))
        extra_saio.stop(_SAIO[0])
        del _SAIO[:]
    if UPLOADS:
        figures.record('TLS', '%d multipart uploads round-tripped over '
                       'https (%s), %d UploadPart requests aws-chunked with '
                       'a trailing checksum; proxy log problems = %d' % (
                           sum(UPLOADS.values()), ', '.join(
                               '%s %s %d' % (proxy, algorithm, n)
                               for (proxy, algorithm), n in sorted(
                                   UPLOADS.items())),
                           len(CHUNKED_PARTS), len(problems)))
    if problems:
        raise AssertionError('the TLS SAIO\'s proxies logged:\n' +
                             '\n'.join(problems[:20]))


def b64_digest(algorithm, data):
    hasher = HASHERS[algorithm]()
    hasher.update(data)
    return base64.b64encode(hasher.digest()).decode()


def composite(algorithm, parts):
    """The checksum of the checksums of the parts, ``-N`` appended."""
    digests = b''.join(base64.b64decode(b64_digest(algorithm, p))
                       for p in parts)
    return '%s-%d' % (b64_digest(algorithm, digests), len(parts))


class TestTls(unittest.TestCase):

    def setUp(self):
        self.env = _SAIO[0].env()
        self.assertTrue(self.env['endpoint'].startswith('https://'))
        self.sent = []
        self.s3 = self.client()
        self.bucket = 'tls-%s' % uuid.uuid4().hex[:20]
        self.s3.create_bucket(Bucket=self.bucket)
        # the SAIO is wiped after the module: no need to empty the bucket

    def client(self, proxy='ours'):
        endpoint = self.env['endpoint' if proxy == 'ours'
                            else 'stock_endpoint']
        s3 = boto3.client(
            's3', endpoint_url=endpoint, region_name=self.env['region'],
            aws_access_key_id=self.env['access_key'],
            aws_secret_access_key=self.env['secret_key'],
            verify=self.env['ca_file'],
            config=Config(retries={'max_attempts': 1}))
        s3.meta.events.register('before-send.s3.*', self.record)
        return s3

    def record(self, request, event_name, **kwargs):
        headers = {}
        for name, value in request.headers.items():
            if isinstance(value, bytes):
                value = value.decode('latin-1')
            headers[name.lower()] = value
        self.sent.append((event_name.rsplit('.', 1)[-1], headers))

    def assertChunkedParts(self, count, algorithm):
        """The last ``count`` UploadParts were aws-chunked, the checksum in
        a trailer and not in a header."""
        sent = [h for op, h in self.sent if op == 'UploadPart']
        del self.sent[:]
        self.assertEqual(count, len(sent))
        trailer = 'x-amz-checksum-%s' % algorithm.lower()
        for headers in sent:
            self.assertIn('aws-chunked', [
                c.strip() for c in headers.get(
                    'content-encoding', '').split(',')], headers)
            self.assertEqual(STREAMING_TRAILER,
                             headers.get('x-amz-content-sha256'))
            self.assertEqual(trailer, headers.get('x-amz-trailer'))
            self.assertNotIn(trailer, headers)
            self.assertIn('x-amz-decoded-content-length', headers)
        CHUNKED_PARTS.extend(sent)

    def assertReadBack(self, key, parts, s3=None):
        """Bytes and ETag of ``key`` are those of the upload of ``parts``.

        :returns: the GetObject response (checksum mode on)
        """
        got = (s3 or self.s3).get_object(Bucket=self.bucket, Key=key,
                                         ChecksumMode='ENABLED')
        self.assertEqual(b''.join(parts), got['Body'].read())
        self.assertEqual(aws_multipart_etag(parts), got['ETag'])
        return got

    def upload_parts(self, key, parts, algorithm, **create):
        """Create, UploadPart each of ``parts``, Complete; :returns: the
        CompleteMultipartUpload response."""
        if algorithm:
            create['ChecksumAlgorithm'] = algorithm
        upload_id = self.s3.create_multipart_upload(
            Bucket=self.bucket, Key=key, **create)['UploadId']
        done = []
        for number, data in enumerate(parts, 1):
            resp = self.s3.upload_part(
                Bucket=self.bucket, Key=key, UploadId=upload_id,
                PartNumber=number, Body=data,
                **({'ChecksumAlgorithm': algorithm} if algorithm else {}))
            # what the trailer said, checked and answered
            name = 'Checksum' + (algorithm or 'CRC32')
            self.assertEqual(b64_digest(algorithm or 'CRC32', data),
                             resp.get(name), number)
            part = {'PartNumber': number, 'ETag': resp['ETag']}
            if algorithm:
                part[name] = resp[name]
            done.append(part)
        self.assertChunkedParts(len(parts), algorithm or 'CRC32')
        if algorithm:
            listed = self.s3.list_parts(Bucket=self.bucket, Key=key,
                                        UploadId=upload_id)['Parts']
            self.assertEqual([p['Checksum' + algorithm] for p in done],
                             [p.get('Checksum' + algorithm) for p in listed])
        return self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key=key, UploadId=upload_id,
            MultipartUpload={'Parts': done})

    def test_upload_file_and_download_file(self):
        """boto3's transfer manager: CRC32 declared, one part per 5 MiB."""
        tempdir = tempfile.mkdtemp(prefix='s3mp-tls-')
        self.addCleanup(shutil.rmtree, tempdir)
        data = os.urandom(2 * TRANSFER_PART + MIB + 3)
        parts = [data[i:i + TRANSFER_PART]
                 for i in range(0, len(data), TRANSFER_PART)]
        path = os.path.join(tempdir, 'up')
        with open(path, 'wb') as f:
            f.write(data)
        config = TransferConfig(multipart_threshold=TRANSFER_PART,
                                multipart_chunksize=TRANSFER_PART)
        self.s3.upload_file(path, self.bucket, 'file', Config=config)
        self.assertChunkedParts(3, 'CRC32')
        # ranged GETs, several at once
        self.s3.download_file(self.bucket, 'file', path + '.down',
                              Config=config)
        with open(path + '.down', 'rb') as f:
            self.assertEqual(data, f.read())
        got = self.assertReadBack('file', parts)
        self.assertEqual(composite('CRC32', parts), got['ChecksumCRC32'])
        self.assertEqual('COMPOSITE', got['ChecksumType'])
        UPLOADS['ours', 'upload_file'] += 1

    def test_explicit_parts_composite(self):
        parts = [os.urandom(size) for size in PART_SIZES]
        for algorithm in ('CRC32', 'CRC32C', 'SHA1', 'SHA256'):
            with self.subTest(algorithm=algorithm):
                key = 'obj-' + algorithm
                result = self.upload_parts(key, parts, algorithm)
                expected = composite(algorithm, parts)
                self.assertEqual(expected, result['Checksum' + algorithm])
                self.assertEqual('COMPOSITE', result['ChecksumType'])
                got = self.assertReadBack(key, parts)
                self.assertEqual(expected, got['Checksum' + algorithm])
                UPLOADS['ours', algorithm] += 1

    def test_explicit_parts_full_object(self):
        parts = [os.urandom(size) for size in PART_SIZES]
        whole = b''.join(parts)
        for algorithm in ('CRC32', 'CRC64NVME'):
            with self.subTest(algorithm=algorithm):
                key = 'full-' + algorithm
                result = self.upload_parts(key, parts, algorithm,
                                           ChecksumType='FULL_OBJECT')
                expected = b64_digest(algorithm, whole)
                self.assertEqual(expected, result['Checksum' + algorithm])
                self.assertEqual('FULL_OBJECT', result['ChecksumType'])
                got = self.assertReadBack(key, parts)
                self.assertEqual(expected, got['Checksum' + algorithm])
                UPLOADS['ours', algorithm + ' full object'] += 1

    def test_no_algorithm_declared(self):
        """boto3 sends its CRC32 trailer all the same; Complete needs no
        part checksums then."""
        parts = [os.urandom(size) for size in PART_SIZES]
        self.upload_parts('plain', parts, None)
        self.assertReadBack('plain', parts)
        UPLOADS['ours', 'undeclared'] += 1

    def test_stock_proxy(self):
        """Swift's own s3api takes the same aws-chunked parts; ours reads
        the object it made."""
        stock = self.client('stock')
        parts = [os.urandom(size) for size in PART_SIZES]
        upload_id = stock.create_multipart_upload(
            Bucket=self.bucket, Key='stock')['UploadId']
        done = [{'PartNumber': number, 'ETag': stock.upload_part(
            Bucket=self.bucket, Key='stock', UploadId=upload_id,
            PartNumber=number, Body=data)['ETag']}
            for number, data in enumerate(parts, 1)]
        self.assertChunkedParts(len(parts), 'CRC32')
        stock.complete_multipart_upload(
            Bucket=self.bucket, Key='stock', UploadId=upload_id,
            MultipartUpload={'Parts': done})
        self.assertReadBack('stock', parts)
        self.assertReadBack('stock', parts, s3=stock)
        UPLOADS['stock', 'undeclared'] += 1
