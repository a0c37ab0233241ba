"""ListParts: GET /bucket/key?uploadId=ID"""

from urllib.parse import quote

from swift.common.middleware.s3api.etree import fromstring

from test.unit.base import MultipartTestCase, AUTH_CALLS, MARKER, \
    SEGMENTS, UPLOAD_ID, part_row

PREFIX = 'obj/%s/' % UPLOAD_ID

ETAG = '0cc175b9c0f1b6a831c399e269772661'


class TestListParts(MultipartTestCase):
    def setUp(self):
        super().setUp()
        # Swift lists names, so part 10 comes before part 2
        rows = [part_row(n, ETAG, 100 * n) for n in (1, 10, 11, 2, 3)]
        self.swift.register_container(SEGMENTS, rows)

    def list_parts(self, query=''):
        resp = self.call('GET', '/bucket/obj?uploadId=%s%s'
                         % (UPLOAD_ID, query))
        self.assertEqual(200, resp.status_int, resp.body)
        return fromstring(resp.body, 'ListPartsResult')

    def test_list_parts(self):
        self.register_marker(
            {'X-Object-Sysmeta-S3api-Upload-Initiator': 'test:tester2'})
        elem = self.list_parts()
        self.assertEqual(AUTH_CALLS + [
            ('HEAD', MARKER),                       # in progress
            # the parts, in one page: every 1-digit and 2-digit number, and
            # the longer ones read on the way, from memory
            ('GET', SEGMENTS + '?end_marker=%s&format=json&limit=1001'
             '&marker=%s&prefix=%s' % (
                 quote(PREFIX + '99990'), quote(PREFIX), quote(PREFIX))),
        ], self.swift.calls)
        self.assertEqual(['1', '2', '3', '10', '11'], [
            e.text for e in elem.findall('./Part/PartNumber')])
        self.assertEqual(['100', '200', '300', '1000', '1100'], [
            e.text for e in elem.findall('./Part/Size')])
        self.assertEqual(['"%s"' % ETAG] * 5, [
            e.text for e in elem.findall('./Part/ETag')])
        self.assertEqual('2026-11-21T10:00:00.000Z',
                         elem.find('./Part/LastModified').text)
        self.assertEqual('false', elem.find('./IsTruncated').text)
        self.assertEqual('0', elem.find('./PartNumberMarker').text)
        self.assertEqual('11', elem.find('./NextPartNumberMarker').text)
        self.assertEqual('1000', elem.find('./MaxParts').text)
        self.assertEqual(UPLOAD_ID, elem.find('./UploadId').text)
        self.assertEqual('obj', elem.find('./Key').text)
        self.assertEqual('bucket', elem.find('./Bucket').text)
        # the creator of the upload, not the caller (test:tester)
        self.assertEqual('test:tester2', elem.find('./Initiator/ID').text)
        self.assertEqual('test:tester2', elem.find('./Owner/ID').text)
        self.assertEqual('STANDARD', elem.find('./StorageClass').text)

    def test_marker_created_by_stock_s3api(self):
        self.register_marker()   # no initiator recorded
        elem = self.list_parts()
        self.assertEqual('test:tester', elem.find('./Initiator/ID').text)

    def test_pages(self):
        self.register_marker()
        elem = self.list_parts('&max-parts=2')
        self.assertEqual(['1', '2'], [
            e.text for e in elem.findall('./Part/PartNumber')])
        self.assertEqual('true', elem.find('./IsTruncated').text)
        self.assertEqual('2', elem.find('./NextPartNumberMarker').text)
        self.assertEqual('2', elem.find('./MaxParts').text)
        elem = self.list_parts('&max-parts=2&part-number-marker=2')
        self.assertEqual(['3', '10'], [
            e.text for e in elem.findall('./Part/PartNumber')])
        self.assertEqual('2', elem.find('./PartNumberMarker').text)
        self.assertEqual('10', elem.find('./NextPartNumberMarker').text)
        elem = self.list_parts('&max-parts=2&part-number-marker=10')
        self.assertEqual(['11'], [
            e.text for e in elem.findall('./Part/PartNumber')])
        self.assertEqual('false', elem.find('./IsTruncated').text)
        elem = self.list_parts('&part-number-marker=11')
        self.assertEqual([], elem.findall('./Part'))
        self.assertEqual('0', elem.find('./NextPartNumberMarker').text)

    def test_max_parts_capped_by_config(self):
        self.register_marker()
        self.app.conf.max_parts_listing = 3
        elem = self.list_parts('&max-parts=5000')
        self.assertEqual('3', elem.find('./MaxParts').text)
        self.assertEqual(3, len(elem.findall('./Part')))

    def test_bad_params(self):
        for query in ('&max-parts=abc', '&max-parts=-1',
                      '&part-number-marker=x', '&encoding-type=xml'):
            self.swift.calls[:] = []
            resp = self.call('GET', '/bucket/obj?uploadId=%s%s'
                             % (UPLOAD_ID, query))
            self.assertS3Error(resp, 400, 'InvalidArgument')
            self.assertEqual(AUTH_CALLS, self.swift.calls, query)

    def test_unknown_upload(self):
        self.swift.register('HEAD', MARKER, 404)
        resp = self.call('GET', '/bucket/obj?uploadId=%s' % UPLOAD_ID)
        self.assertS3Error(resp, 404, 'NoSuchUpload')
        self.assertEqual(AUTH_CALLS + [('HEAD', MARKER)], self.swift.calls)

    def test_page_of_the_longest_numbers_reads_only_itself(self):
        """A page deep into a 10,000-part upload does not list them all."""
        self.register_marker()
        rows = [part_row(n, ETAG, 5) for n in range(1, 10001)]
        self.swift.register_container(SEGMENTS, rows)
        elem = self.list_parts('&part-number-marker=9000&max-parts=50')
        self.assertEqual(list(range(9001, 9051)), [
            int(e.text) for e in elem.findall('./Part/PartNumber')])
        self.assertEqual('true', elem.find('./IsTruncated').text)
        listings = [path for method, path in self.swift.calls
                    if method == 'GET']
        # from the marker on, pages of max-parts + 1: the 3-digit numbers
        # among them ('901'...) cost a second page, not 9,000 rows
        self.assertEqual(
            SEGMENTS + '?end_marker=%s&format=json&limit=51&marker=%s'
            '&prefix=%s' % (quote(PREFIX + '99990'), quote(PREFIX + '9000'),
                            quote(PREFIX)), listings[0])
        self.assertEqual(2, len(listings))

    def test_encoding_type_url(self):
        self.register_marker()
        elem = self.list_parts('&encoding-type=url')
        self.assertEqual('url', elem.find('./EncodingType').text)
