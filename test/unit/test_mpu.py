"""Pure helpers: no WSGI."""

import binascii
import hashlib
import unittest

from swift3_multipart import mpu


class TestNames(unittest.TestCase):
    def test_layout_matches_s3api(self):
        self.assertEqual('a/b/ID', mpu.marker_name('a/b', 'ID'))
        self.assertEqual('a/b/ID/7', mpu.part_name('a/b', 'ID', 7))
        self.assertEqual('a/b/ID/', mpu.parts_prefix('a/b', 'ID'))

    def test_part_number_of(self):
        self.assertEqual(12, mpu.part_number_of('k/ID/12', 'k/ID/'))
        for name in ('k/ID/', 'k/ID/1a', 'k/ID/1/2', 'k/ID/\u00b2',
                     'k/ID/1\n', 'x/ID/1'):
            self.assertIsNone(mpu.part_number_of(name, 'k/ID/'), name)

    def test_is_upload_marker(self):
        self.assertTrue(mpu.is_upload_marker('key/VXBsb2Fk'))
        self.assertTrue(mpu.is_upload_marker('key/1/VXBsb2Fk'))
        self.assertFalse(mpu.is_upload_marker('key/VXBsb2Fk/3'))

    def test_valid_upload_id(self):
        self.assertTrue(mpu.valid_upload_id(
            'ZDdlMjA2NjEtYmUxNS00MjM5LWE2MzEtNjNhYWY4NzE3ZjE5'))
        for bad in ('', 'a/b', '..', 'a\x00', 'caf\u00e9', 'x' * 129, '/'):
            self.assertFalse(mpu.valid_upload_id(bad), repr(bad))


class TestEtags(unittest.TestCase):
    def test_normalize(self):
        etag = 'd41d8cd98f00b204e9800998ecf8427e'
        for given in (etag, '"%s"' % etag, etag.upper(), ' "%s" ' % etag):
            self.assertEqual(etag, mpu.normalize_part_etag(given))
        for bad in (None, '', 'abc', etag + '-2', '"%s' % etag, 'g' * 32):
            self.assertIsNone(mpu.normalize_part_etag(bad))

    def test_multipart_etag(self):
        parts = [hashlib.md5(b'a').hexdigest(),
                 hashlib.md5(b'b').hexdigest()]
        expected = hashlib.md5(b''.join(
            binascii.a2b_hex(p) for p in parts)).hexdigest() + '-2'
        self.assertEqual(expected, mpu.multipart_etag(parts))
        self.assertEqual(
            hashlib.md5(hashlib.md5(b'a').digest()).hexdigest() + '-1',
            mpu.multipart_etag(parts[:1]))

    def test_part_order(self):
        self.assertTrue(mpu.check_part_order([1, 2, 5]))
        self.assertTrue(mpu.check_part_order([3]))
        self.assertFalse(mpu.check_part_order([1, 1]))
        self.assertFalse(mpu.check_part_order([2, 1]))

    def test_first_too_small(self):
        self.assertIsNone(mpu.first_too_small([(1, 5), (2, 5), (3, 1)], 5))
        self.assertEqual((2, 4), mpu.first_too_small(
            [(1, 5), (2, 4), (3, 1)], 5))
        self.assertIsNone(mpu.first_too_small([(1, 0)], 5))


class TestMarkerContentType(unittest.TestCase):
    def test_round_trip(self):
        for user in ('test:tester', 'tenant:us;er=x', 'caf\u00e9 user'):
            ct = mpu.marker_content_type(user)
            self.assertTrue(ct.startswith('application/directory;'))
            self.assertEqual(user, mpu.initiator_from_content_type(ct))

    def test_stock_marker(self):
        for ct in ('application/directory', '', None,
                   'application/directory;s3api_initiator='):
            self.assertIsNone(mpu.initiator_from_content_type(ct))
            self.assertEqual((None, None), mpu.declared_from_content_type(ct))

    def test_declared_checksum(self):
        ct = mpu.marker_content_type('test:tester', 'CRC64NVME',
                                     'FULL_OBJECT')
        self.assertEqual(
            'application/directory;s3api_initiator=test%3Atester;'
            's3api_checksum_declared=CRC64NVME%3AFULL_OBJECT', ct)
        self.assertEqual(('CRC64NVME', 'FULL_OBJECT'),
                         mpu.declared_from_content_type(ct))
        self.assertEqual('test:tester', mpu.initiator_from_content_type(ct))
        # no declaration, no parameter
        self.assertEqual((None, None), mpu.declared_from_content_type(
            mpu.marker_content_type('test:tester')))


class TestPartContentType(unittest.TestCase):
    def test_round_trip(self):
        ct = mpu.part_content_type('text/plain', 'CRC32', 'AAAA+/==')
        self.assertTrue(ct.startswith('text/plain;'))
        self.assertEqual(('CRC32', 'AAAA+/=='),
                         mpu.checksum_from_content_type(ct))
        # the type itself is what SLO and clients see
        self.assertEqual('text/plain', ct.split(';', 1)[0])

    def test_none(self):
        for ct in (None, 'text/plain', 'text/plain;s3api_checksum=x'):
            self.assertIsNone(mpu.checksum_from_content_type(ct))
