"""The stored layout's names: pure functions, no WSGI."""

import unittest

from swift.common.utils.timestamp import Timestamp

from swift3_multipart import layout

KEY = 'dir/a-b'


class TestOurLayout(unittest.TestCase):
    def test_upload_ids_are_ours_not_stock(self):
        now = Timestamp(1764700000.12345)
        upload_id = layout.new_upload_id(now)
        self.assertEqual(layout.OUR_UPLOAD_ID_LENGTH, len(upload_id))
        self.assertTrue(layout.is_ours(upload_id))
        self.assertTrue(layout.valid_upload_id(upload_id))
        self.assertEqual(layout.IMMUTABLE, layout.layout_of(upload_id))
        self.assertEqual(now, layout.initiated_of(upload_id))
        stock = 'Y2I1YzQ2ZTMtNmE0Yy00ZWRmLWJmNjUtOGRlOGQ1OGE5ZjQz'
        self.assertFalse(layout.is_ours(stock))
        self.assertEqual(layout.STOCK, layout.layout_of(stock))
        self.assertTrue(layout.valid_upload_id(stock))
        for bad in ('', '2.', '2.%s/1' % upload_id[2:], upload_id + 'x'):
            self.assertFalse(layout.is_ours(bad), bad)

    def test_ids_sort_by_initiation(self):
        ids = [layout.new_upload_id(Timestamp(t))
               for t in (1764700000.5, 1764700001, 1764700010)]
        self.assertEqual(ids, sorted(ids))

    def test_records_list_in_s3_order(self):
        # S3 lists key 'a' before 'a-b' and 'a/b', then by initiation
        early = layout.new_upload_id(Timestamp(1764700000))
        late = layout.new_upload_id(Timestamp(1764700001))
        names = [layout.record_name(key, upload_id)
                 for key, upload_id in (('a/b', early), ('a', late),
                                        ('a-b', early), ('a', early),
                                        ('\u00e9', early))]
        self.assertEqual([('a', early), ('a', late), ('a-b', early),
                          ('a/b', early), ('\u00e9', early)],
                         [layout.split_record_name(n) for n in sorted(names)])
        self.assertIsNone(layout.split_record_name('\x00a\x00not-an-id'))
        self.assertIsNone(layout.split_record_name(
            'a\x00' + early))   # not a reserved name
        self.assertIsNone(layout.split_record_name('no separator'))
        self.assertTrue(layout.index_container('b').startswith('\x00'))

    def test_attempts(self):
        upload_id = layout.new_upload_id()
        prefix = layout.parts_prefix(KEY, upload_id)
        first = layout.new_attempt(Timestamp(1764700000))
        later = layout.new_attempt(Timestamp(1764700001))
        self.assertEqual(layout.ATTEMPT_DIGITS, len(first))
        self.assertLess(first, later)
        name = layout.attempt_name(KEY, upload_id, 7, first)
        self.assertEqual(prefix + '00007/' + first, name)
        self.assertEqual((7, first), layout.attempt_of(name, prefix))
        # the abort record and other names are not attempts
        record = layout.abort_record_name(KEY, upload_id)
        self.assertEqual(prefix + '00000/0', record)
        self.assertIsNone(layout.attempt_of(record, prefix))
        self.assertIsNone(layout.attempt_of(prefix + '7', prefix))
        self.assertIsNone(layout.attempt_of('other/' + first, prefix))
        # every name ends in digits: stock's listings take none for an
        # upload marker
        self.assertFalse(layout.is_upload_marker(name))
        self.assertFalse(layout.is_upload_marker(record))

    def test_attempts_query_pages_after_a_part(self):
        upload_id = layout.new_upload_id()
        names = sorted(
            [layout.attempt_name(KEY, upload_id, n, layout.new_attempt())
             for n in (1, 2, 2, 3, 10000)] +
            [layout.abort_record_name(KEY, upload_id)])
        for after, wanted in ((0, [1, 2, 2, 3, 10000]), (2, [3, 10000]),
                              (3, [10000]), (10000, [])):
            query = layout.attempts_query(KEY, upload_id, after, limit=5)
            self.assertEqual('5', query['limit'])
            listed = [n for n in names if n.startswith(query['prefix'])
                      and n > query['marker']]
            self.assertEqual(wanted, [layout.attempt_of(
                n, query['prefix'])[0] for n in listed], after)

    def test_manifest_timestamp_just_above_base(self):
        base = Timestamp(1764700000.12345)
        first = layout.manifest_timestamp(base)
        self.assertGreater(first, base)
        self.assertLess(first, Timestamp(1764700000.12346))
        self.assertEqual(first, layout.manifest_timestamp(base))
        self.assertGreater(layout.manifest_timestamp(base, 2), first)
        self.assertGreater(layout.manifest_timestamp(first), first)

    def test_index_query(self):
        self.assertEqual({'format': 'json', 'limit': '3', 'prefix': '\x00'},
                         layout.index_query('', '', 3))
        self.assertEqual({'format': 'json', 'limit': '3',
                          'prefix': '\x00p', 'marker': '\x00p\x00'},
                         layout.index_query('p', '\x00p\x00', 3))

    def test_part_name_overhead_fits_both_layouts(self):
        upload_id = layout.new_upload_id()
        ours = layout.attempt_name('', upload_id, layout.MAX_PART_NUMBER,
                                   layout.new_attempt())
        self.assertEqual(layout.PART_NAME_OVERHEAD, len(ours))
        self.assertEqual('b+segments', layout.segments_container('b'))
        self.assertEqual('k/u/3', layout.part_name('k', 'u', 3))
        self.assertEqual('k/u/0', layout.fence_name('k', 'u'))
        self.assertEqual(('k', 'u'), layout.split_marker_name('k/u'))
        self.assertEqual(3, layout.part_number_of('k/u/3', 'k/u/'))
        self.assertIsNone(layout.part_number_of('k/u/x', 'k/u/'))


class TestSegmentNames(unittest.TestCase):
    def test_attempts_and_abort_records(self):
        uid = layout.new_upload_id()
        attempt = '%s%05d/%021d' % (layout.parts_prefix('a/b', uid), 7, 1)
        record = layout.abort_record_name('a/b', uid)
        self.assertEqual(('a/b', uid), layout.split_segment_name(attempt))
        self.assertIsNone(layout.split_segment_name(record))
        self.assertTrue(layout.is_abort_record(record))
        self.assertFalse(layout.is_abort_record(attempt))
        for other in ('a/b/%s/1' % uid, 'x/%s/00001/1' % uid, 'photos/1',
                      'k/%s/00000/0' % ('x' * 33)):
            self.assertIsNone(layout.split_segment_name(other), other)
            self.assertFalse(layout.is_abort_record(other), other)
