"""Unit tests of the benchmark's pure helpers (bench/): no SAIO, no client.

bench/ is a directory of scripts, not a package: it goes on sys.path here
as it is when ``bench/mpu_bench.py`` runs.
"""

import hashlib
import os
import sys
import tempfile
import unittest

BENCH_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'bench')
if BENCH_DIR not in sys.path:
    sys.path.insert(0, BENCH_DIR)

import benchlib  # noqa: E402
import benchreport  # noqa: E402
import mpu_bench  # noqa: E402

TXN = 'txb457617b82644c9dbf9d8-006b0179ec'
LISTING = (
    'container-server: 127.0.0.1 - - [21/Nov/2026:11:01:00 +0000] '
    '"GET /sdb1/168/AUTH_test/b%2Bsegments" 200 2211 "GET '
    'http://127.0.0.1:18480/v1/AUTH_test/b%2Bsegments?format=json&'
    'prefix=k%2FU%2F&states=listing" "' + TXN + '" "proxy-server 14658" '
    '0.0018 "-" 14642 0')
OBJECT_PUT = (
    'object-server: 127.0.0.1 - - [21/Nov/2026:11:01:00 +0000] '
    '"PUT /sdb2/234/AUTH_test/b/k" 201 - "PUT http://127.0.0.1:18480/v1/'
    'AUTH_test/b/k" "' + TXN + '" "proxy-server 14658" 0.0030 "-" 14643 0')
CONTAINER_UPDATE = (
    'container-server: 127.0.0.1 - - [21/Nov/2026:11:01:00 +0000] '
    '"PUT /sdb1/68/AUTH_test/b/k" 201 - "PUT http://127.0.0.1:18480/sdb2/'
    '234/AUTH_test/b/k" "' + TXN + '" "object-server 14643" 0.0003 "-" '
    '14642 0')
# the proxy's look-up of a container's info
CONTAINER_HEAD = (
    'container-server: 127.0.0.1 - - [21/Nov/2026:11:01:00 +0000] '
    '"HEAD /sdb1/68/AUTH_test/b" 204 - "HEAD http://127.0.0.1:18480/v1/'
    'AUTH_test/b" "' + TXN + '" "proxy-server 14658" 0.0010 "-" 14642 0')
OTHER_TXN = OBJECT_PUT.replace(TXN, 'tx-other')
PROXY_CLIENT = (
    'proxy-ours: 127.0.0.1 127.0.0.1 21/Nov/2026/11/01/00 POST '
    '/b/k%3FuploadId%3DU HTTP/1.0 200 - Boto3/1.44.5 - - - - ' + TXN +
    ' - 0.0382 - - 1795258632.043744087 1795258632.081948757 0 test:tester')
PROXY_SUB = (
    'proxy-ours: - - 21/Nov/2026/11/01/00 HEAD /v1/AUTH_test/b HTTP/1.0 204 '
    '- Swift - - - - ' + TXN + ' - 0.0033 S3 - 1795258860.150533199 '
    '1795258860.153810978 0 -')


class TestStatistics(unittest.TestCase):

    def test_summarize(self):
        self.assertEqual(benchlib.summarize([3, 1, 2]), {
            'median': 2, 'min': 1, 'max': 3, 'n': 3, 'samples': [3, 1, 2]})
        self.assertEqual(benchlib.summarize([1, 2, 3, 10])['median'], 2.5)
        with self.assertRaises(ValueError):
            benchlib.summarize([])

    def test_ratio_and_overlap(self):
        one = benchlib.summarize([10, 11, 12])
        two = benchlib.summarize([5, 6, 7])
        self.assertEqual(benchlib.ratio(one, two), 11 / 6.0)
        self.assertIsNone(benchlib.ratio(one, None))
        self.assertIsNone(benchlib.ratio(one, benchlib.summarize([0])))
        self.assertFalse(benchlib.overlap(one, two))
        self.assertTrue(benchlib.overlap(one, benchlib.summarize([7, 10])))


class TestLogParsing(unittest.TestCase):

    def test_backend_line(self):
        record = benchlib.parse_backend_line(LISTING)
        self.assertEqual(record['server'], 'container')
        self.assertEqual(record['method'], 'GET')
        self.assertEqual(record['path'], '/sdb1/168/AUTH_test/b%2Bsegments')
        self.assertEqual(record['status'], 200)
        self.assertEqual(record['length'], 2211)
        self.assertEqual(record['txn'], TXN)
        self.assertEqual(benchlib.listing_query(record),
                         'format=json&prefix=k%2FU%2F&states=listing')
        self.assertEqual(benchlib.parse_backend_line(OBJECT_PUT)['length'],
                         0)
        for line in ('', 'object-server: Started child 12',
                     PROXY_CLIENT, 'container-server: ERROR __call__'):
            self.assertIsNone(benchlib.parse_backend_line(line), line)

    def test_backend_summary(self):
        records = [benchlib.parse_backend_line(line) for line in (
            LISTING, OBJECT_PUT, CONTAINER_UPDATE, OTHER_TXN, LISTING)]
        summary = benchlib.backend_summary(records, TXN)
        self.assertEqual(summary['requests'], 4)
        self.assertEqual(summary['by_server'],
                         {'container': 3, 'object': 1})
        # the container update is a PUT, not a listing
        self.assertEqual(len(summary['listings']), 2)
        self.assertEqual(0, summary['info_heads'])
        records.append(benchlib.parse_backend_line(CONTAINER_HEAD))
        self.assertEqual(1, benchlib.backend_summary(
            records, TXN)['info_heads'])
        self.assertEqual(benchlib.backend_summary(
            records, 'tx-other')['listings'], [])

    def test_proxy_line(self):
        client = benchlib.parse_proxy_line(PROXY_CLIENT)
        self.assertTrue(client['client'])
        self.assertEqual(client['txn'], TXN)
        self.assertEqual(client['method'], 'POST')
        sub = benchlib.parse_proxy_line(PROXY_SUB)
        self.assertFalse(sub['client'])
        self.assertEqual(sub['source'], 'S3')
        self.assertIsNone(benchlib.parse_proxy_line(LISTING))
        self.assertIsNone(benchlib.parse_proxy_line(
            'proxy-ours: Started child 12'))
        self.assertEqual(benchlib.proxy_summary([client, sub, sub], TXN), {
            'client': 1, 'subrequests': 2, 'sources': ['S3']})

    def test_count_rows(self):
        self.assertEqual(benchlib.count_rows(b'[]'), 0)
        self.assertEqual(benchlib.count_rows(b'[{"name": "a"}, {}]'), 2)


class TestLogTail(unittest.TestCase):

    def test_lines_since_mark(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, 'x.log')
            tail = benchlib.LogTail(path)
            tail.mark()  # no file yet
            self.assertEqual(tail.lines(), [])
            with open(path, 'w') as fp:
                fp.write('old\n')
            tail.mark()
            with open(path, 'a') as fp:
                fp.write('one\ntwo\nhalf a li')
            # a line still being written is not read yet
            self.assertEqual(tail.lines(), ['one', 'two'])
            with open(path, 'a') as fp:
                fp.write('ne\n')
            self.assertEqual(tail.lines(), ['one', 'two', 'half a line'])


class TestSettled(unittest.TestCase):

    def test_until_two_reads_agree(self):
        values = iter([1, 3, 4, 4, 9])
        sleeps = []
        self.assertEqual(benchlib.settled(
            lambda: next(values), quiet=0.5, sleep=sleeps.append,
            clock=lambda: 0), 4)
        self.assertEqual(sleeps, [0.5, 0.5, 0.5])

    def test_timeout(self):
        counter = iter(range(100))
        now = iter(range(0, 1000, 5))
        self.assertEqual(benchlib.settled(
            lambda: next(counter), timeout=10, sleep=lambda s: None,
            clock=lambda: next(now)), 2)


class TestProc(unittest.TestCase):

    @unittest.skipUnless(os.path.isdir('/proc/self'), 'needs /proc')
    def test_own_process(self):
        pid = os.getpid()
        self.assertGreater(benchlib.cpu_seconds(
            pid, os.sysconf('SC_CLK_TCK')), 0)
        memory = benchlib.memory_kib(pid)
        self.assertGreaterEqual(memory['VmHWM'], memory['VmRSS'])
        self.assertGreater(memory['VmRSS'], 0)


class TestTable(unittest.TestCase):

    def test_significant(self):
        cases = [(None, '-'), (0, '0'), (0.0, '0'), (7, '7'), (1.0, '1.00'),
                 (41.234, '41.2'), (0.012345, '0.0123'), (1234.5, '1234'),
                 (2000.0, '2000'), (18.0, '18.0'), (-0.5, '-0.500')]
        for value, text in cases:
            self.assertEqual(benchlib.significant(value), text, value)

    def test_cell(self):
        self.assertEqual(benchlib.cell(None), '-')
        self.assertEqual(benchlib.cell('n/a'), 'n/a')
        self.assertEqual(benchlib.cell(benchlib.summarize([10, 10, 10])),
                         '10')
        self.assertEqual(benchlib.cell(benchlib.summarize(
            [0.0123, 0.0119, 0.0131])), '0.0123 (0.0119-0.0131)')

    def test_format_table(self):
        text = benchlib.format_table([
            {'section': 'Complete'},
            {'measurement': 'Complete 10 parts, s',
             'stock': benchlib.summarize([2.0, 2.5, 3.0]),
             'ours': benchlib.summarize([0.1, 0.2, 0.3]), 'ratio': 12.5,
             'ratio_label': 'stock/ours', 'target': '>= 10x faster',
             'met': True},
            {'measurement': 'x', 'met': 'no, within spread'},
            {'measurement': 'y', 'met': False},
        ]).splitlines()
        self.assertEqual(text[0].split(), list(benchlib.TABLE_COLUMNS))
        self.assertEqual(set(text[1]), {'-', ' '})
        self.assertEqual(text[2], '== Complete')
        self.assertEqual(text[3].split(), [
            'Complete', '10', 'parts,', 's', '-', '2.50', '(2.00-3.00)',
            '0.200', '(0.100-0.300)', '12.5', 'stock/ours', '>=', '10x',
            'faster', 'yes'])
        self.assertTrue(text[4].endswith('no, within spread'))
        self.assertTrue(text[5].endswith('NO'))
        # fixed width: the columns start at the same place on every row
        self.assertEqual(text[0].index('stock'), text[3].index('2.50'))


def observed(total, listings, seconds=0.1, ok=True, info_heads=0):
    return {'seconds': seconds, 'proxy_cpu': 0.01,
            'backend_requests': total, 'listing_gets': listings,
            'info_heads': info_heads,
            'listing_rows': 0, 'listing_bytes': 0, 'by_server': {},
            'proxy_logged': {'subrequests': 1}, 'etag_ok': ok}


class TestReport(unittest.TestCase):

    def complete(self, ours_counts, stock_counts=(18, 108), ok=True):
        return {'complete': {
            str(parts): {
                'ours': benchreport.collect(
                    [observed(total, listings, ok=ok)] * 3),
                'stock': benchreport.collect([observed(stock, 0)] * 3)}
            for parts, (total, listings), stock in zip(
                (10, 100), ours_counts, stock_counts)}}

    def test_complete_flat(self):
        found, checks = benchreport.assertions(self.complete(
            [(10, 1), (10, 1)]))
        self.assertTrue(checks['complete_flat'])
        self.assertEqual([a['passed'] for a in found], [True, True])
        self.assertIn('100 parts: ours 10 (1 listings), stock 108',
                      found[1]['detail'])

    def test_complete_growing_fails(self):
        _found, checks = benchreport.assertions(self.complete(
            [(10, 1), (11, 1)]))
        self.assertFalse(checks['complete_flat'])
        # more listing pages are allowed only past 10,000 parts
        _found, checks = benchreport.assertions(self.complete(
            [(10, 1), (11, 2)]))
        self.assertFalse(checks['complete_flat'])

    def test_info_heads_come_and_go(self):
        # a proxy's cached container info expired during one Complete
        results = self.complete([(10, 1), (10, 1)])
        results['complete']['100']['ours'] = benchreport.collect(
            [observed(10, 1), observed(11, 1, info_heads=1)])
        _found, checks = benchreport.assertions(results)
        self.assertTrue(checks['complete_flat'])
        # a request more that is no info look-up still fails
        results['complete']['100']['ours'] = benchreport.collect(
            [observed(10, 1), observed(11, 1)])
        _found, checks = benchreport.assertions(results)
        self.assertFalse(checks['complete_flat'])

    def test_listing_pages_of_10000_parts(self):
        def complete(parts, listings):
            return {'complete': {str(parts): {
                'ours': benchreport.collect(
                    [observed(10 + listings, listings)] * 3),
                'stock': benchreport.collect([observed(30000, 0)] * 3)}}}
        # 10,000 attempts: a full page, then the empty one after it
        _found, checks = benchreport.assertions(complete(10000, 2))
        self.assertTrue(checks['complete_flat'])
        _found, checks = benchreport.assertions(complete(10000, 3))
        self.assertFalse(checks['complete_flat'])
        _found, checks = benchreport.assertions(complete(9999, 2))
        self.assertFalse(checks['complete_flat'])

    def test_complete_latency_targets(self):
        results = self.complete([(10, 1), (10, 1)])
        rows = benchreport.complete_rows(results, {'complete_flat': True})
        targets = [(r['measurement'], r.get('target')) for r in rows
                   if r.get('measurement', '').startswith('Complete')]
        self.assertEqual(targets, [
            ('Complete 10 parts, s', '<= stock'),
            ('Complete 100 parts, s', None),
            ('Complete 10000 parts', '>= 20x faster (full mode)')])

    def test_wrong_answer_fails(self):
        found, _checks = benchreport.assertions(self.complete(
            [(10, 2), (10, 2)], ok=False))
        self.assertFalse(found[0]['passed'])
        self.assertEqual(found[0]['detail'], '6 of 12 requests')

    def test_list_parts_rows(self):
        def pages(rows):
            return {'parts': 2000, 'markers': [0, 1000], 'pages': {
                str(m): {p: benchreport.collect([dict(
                    observed(7, 2), listing_rows=r, answer_ok=True)] * 3)
                    for p in ('ours', 'stock')}
                for m, r in zip((0, 1000), rows)}}
        found, _ = benchreport.assertions({'list_parts': pages([1001, 1002])})
        self.assertEqual([a['passed'] for a in found], [True, True])
        self.assertEqual(found[1]['detail'], 'marker 0: 1001, marker 1000: '
                                             '1002')
        rows = benchreport.list_parts_rows({'list_parts': pages([1001, 2000])})
        self.assertEqual([r.get('met') for r in rows if 'target' in r],
                         [True, False])
        # the whole upload read for one page (stock s3api's way) fails
        found, _ = benchreport.assertions({'list_parts': pages([1001, 2000])})
        self.assertFalse(found[1]['passed'])

    def test_list_uploads_rows(self):
        def listing(*rows):
            results = {'uploads': 20, 'parts_per_completed_object': 100,
                       'completed': {}}
            for count, ours in zip((0, 50), rows):
                results['completed'][str(count)] = dict({
                    p: benchreport.collect([dict(
                        observed(4, 1), listing_rows=r, answer_ok=True)] * 3)
                    for p, r in (('ours', ours), ('stock', 40 + 100 * count))
                }, segment_objects=40 + 100 * count)
            return {'list_uploads': results}
        found, _ = benchreport.assertions(listing(21, 21))
        self.assertEqual([a['passed'] for a in found], [True, True])
        self.assertEqual(found[1]['detail'],
                         '0 completed: 21 (40 segment objects); '
                         '50 completed: 21 (5040 segment objects)')
        self.assertEqual([r.get('met') for r in benchreport.list_uploads_rows(
            listing(21, 20)) if 'target' in r], [True, False])
        # reading the segments container fails
        found, _ = benchreport.assertions(listing(21, 5040))
        self.assertFalse(found[1]['passed'])

    def test_judge(self):
        self.assertTrue(benchreport._judge(1.2, 1.0))
        self.assertFalse(benchreport._judge(0.8, 1.0))
        self.assertEqual(benchreport._judge(0.8, 1.0, True),
                         'no, within spread')
        self.assertIsNone(benchreport._judge(None, 1.0))


class TestBenchHelpers(unittest.TestCase):

    def test_rotated(self):
        items = ('raw', 'stock', 'ours')
        self.assertEqual(mpu_bench.rotated(items, 0), list(items))
        self.assertEqual(mpu_bench.rotated(items, 1),
                         ['stock', 'ours', 'raw'])
        self.assertEqual(mpu_bench.rotated(items, 3), list(items))

    def test_multipart_etag(self):
        parts = [b'a' * 10, b'b' * 3]
        md5s = [hashlib.md5(p).hexdigest() for p in parts]
        expected = hashlib.md5(b''.join(
            hashlib.md5(p).digest() for p in parts)).hexdigest()
        self.assertEqual(mpu_bench.multipart_etag(md5s), expected + '-2')

    def test_parallel_keeps_order(self):
        for threads in (1, 4):
            self.assertEqual(mpu_bench.parallel(
                lambda n: n * n, range(10), threads),
                [n * n for n in range(10)])

    def test_modes_fit_the_issue(self):
        full = mpu_bench.MODES['full']
        self.assertEqual(full['part_sizes'], (8 * benchlib.MIB,
                                              64 * benchlib.MIB))
        self.assertEqual(full['threads'], (1, 4))
        self.assertEqual(full['complete_parts'],
                         (1, 3, 10, 100, 1000, 10000))
        self.assertEqual(full['lmu_completed'], (0, 50, 200))
        self.assertEqual(full['rss_total'], 2 * benchlib.GIB)
        self.assertEqual((mpu_bench.MODES['quick']['reps'], full['reps']),
                         (3, 5))
        self.assertEqual([int(f * full['listparts_parts'])
                          for f in mpu_bench.LISTPARTS_MARKERS],
                         [0, 5000, 9000])

    def test_arguments(self):
        parser = mpu_bench.make_parser()
        args = parser.parse_args(['--full', '--json', 'x.json'])
        self.assertEqual((args.mode, args.json, args.port),
                         ('full', 'x.json', mpu_bench.BASE_PORT))
        with self.assertRaises(SystemExit):
            parser.parse_args(['--quick', '--full'])
        self.assertEqual(mpu_bench.main(['--reps', '2']), 2)
        self.assertEqual(mpu_bench.main(['--only', 'nothing']), 2)


if __name__ == '__main__':
    unittest.main()
