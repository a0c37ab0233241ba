"""Flexible checksum helpers: no WSGI."""

import base64
import hashlib
import os
import unittest
import zlib

from swift.common.utils import checksum

from swift3_multipart import checksums


def crc_b64(algorithm, data):
    hasher = checksums.HASHERS[algorithm]()
    hasher.update(data)
    return base64.b64encode(hasher.digest()).decode('ascii')


class TestDeclared(unittest.TestCase):
    def test_defaults(self):
        """
        https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
        """
        self.assertEqual((None, None), checksums.declared(None, None))
        self.assertEqual(('CRC32', 'COMPOSITE'),
                         checksums.declared('CRC32', None))
        self.assertEqual(('CRC64NVME', 'FULL_OBJECT'),
                         checksums.declared('crc64nvme', None))
        self.assertEqual(('CRC32C', 'FULL_OBJECT'),
                         checksums.declared('CRC32C', 'FULL_OBJECT'))
        self.assertEqual(('SHA256', 'COMPOSITE'),
                         checksums.declared('SHA256', None))

    def test_refused(self):
        for algorithm, checksum_type in (
                (None, 'COMPOSITE'), ('MD5', None), ('CRC32', 'BOTH'),
                ('SHA1', 'FULL_OBJECT'), ('SHA256', 'FULL_OBJECT'),
                ('CRC64NVME', 'COMPOSITE')):
            with self.assertRaises(checksums.ChecksumError):
                checksums.declared(algorithm, checksum_type)


class TestNames(unittest.TestCase):
    def test_names(self):
        self.assertEqual('x-amz-checksum-crc32c',
                         checksums.header_name('CRC32C'))
        self.assertEqual('ChecksumSHA256', checksums.element_name('SHA256'))
        self.assertEqual('CRC64NVME', checksums.algorithm_of_header(
            'X-Amz-Checksum-Crc64nvme'))
        self.assertIsNone(checksums.algorithm_of_header(
            'x-amz-checksum-algorithm'))


class TestCombine(unittest.TestCase):
    def test_crc32_matches_zlib(self):
        a, b = os.urandom(1000), os.urandom(777)
        combiner = checksums.CrcCombiner('CRC32')
        self.assertEqual(zlib.crc32(a + b), combiner.combine(
            zlib.crc32(a), zlib.crc32(b), len(b)))
        self.assertEqual(zlib.crc32(a), combiner.combine(
            zlib.crc32(a), zlib.crc32(b''), 0))

    def test_full_object_every_crc(self):
        parts = [os.urandom(n) for n in (4096, 4096, 1, 0, 3000)]
        whole = b''.join(parts)
        for algorithm in ('CRC32', 'CRC32C', 'CRC64NVME'):
            self.assertEqual(
                crc_b64(algorithm, whole),
                checksums.full_object(algorithm, [
                    (crc_b64(algorithm, p), len(p)) for p in parts]),
                algorithm)

    def test_composite(self):
        parts = [b'a' * 10, b'b' * 3]
        for algorithm in checksums.ALGORITHMS:
            values = [crc_b64(algorithm, p) for p in parts]
            joined = b''.join(base64.b64decode(v) for v in values)
            self.assertEqual('%s-2' % crc_b64(algorithm, joined),
                             checksums.composite(algorithm, values))

    def test_object_checksum(self):
        parts = [(crc_b64('CRC32', b'x'), 1), (crc_b64('CRC32', b'y'), 1)]
        self.assertEqual(crc_b64('CRC32', b'xy'), checksums.object_checksum(
            'CRC32', 'FULL_OBJECT', parts))
        self.assertTrue(checksums.object_checksum(
            'CRC32', 'COMPOSITE', parts).endswith('-2'))

    def test_hashers_are_swifts(self):
        self.assertIs(checksum.crc32c, checksums.HASHERS['CRC32C'])
        self.assertIs(hashlib.sha1, checksums.HASHERS['SHA1'])
        with self.assertRaises(ValueError):
            checksums.raw('not base64!')
