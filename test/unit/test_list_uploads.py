"""ListMultipartUploads: GET /bucket?uploads"""

from urllib.parse import quote

from swift.common.middleware.s3api.etree import fromstring

from test.unit.base import MultipartTestCase, AUTH_CALLS, SEGMENTS, INDEX

T = '2026-11-21T10:00:00.000000'
INDEX_PAGE = INDEX + '?format=json&limit=1001&prefix=%00'


def row(name):
    return {'name': name, 'hash': 'd41d8cd98f00b204e9800998ecf8427e',
            'bytes': 0, 'last_modified': T,
            'content_type': 'application/directory'}


def listing(marker=None, prefix=''):
    query = 'format=json'
    if marker:
        query += '&marker=' + quote(marker)
    return SEGMENTS + '?' + query + '&prefix=' + quote(prefix)


class TestListUploads(MultipartTestCase):
    def setUp(self):
        super().setUp()
        # markers and parts of uploads U1..U4, as Swift lists them
        self.names = ['a/1/U1', 'a/1/U1/1', 'a/1/U1/2', 'a/2/U2', 'b/U3',
                      'b/U3/1', 'c/U4']
        self.swift.register_listing(listing(), [row(n) for n in self.names])
        self.swift.register_listing(listing('c/U4'), [])

    def list_uploads(self, query=''):
        resp = self.call('GET', '/bucket?uploads' + query)
        self.assertEqual(200, resp.status_int, resp.body)
        return fromstring(resp.body, 'ListMultipartUploadsResult')

    def keys(self, elem):
        return [(u.find('./Key').text, u.find('./UploadId').text)
                for u in elem.findall('./Upload')]

    def test_all(self):
        elem = self.list_uploads()
        self.assertEqual(AUTH_CALLS + [
            ('GET', listing()), ('GET', listing('c/U4')),
            ('GET', INDEX_PAGE),    # uploads of our layout: one page
        ], self.swift.calls)
        self.assertEqual([('a/1', 'U1'), ('a/2', 'U2'), ('b', 'U3'),
                          ('c', 'U4')], self.keys(elem))
        self.assertEqual('false', elem.find('./IsTruncated').text)
        self.assertEqual('1000', elem.find('./MaxUploads').text)
        self.assertEqual('2026-11-21T10:00:00.000Z',
                         elem.find('./Upload/Initiated').text)
        self.assertEqual('STANDARD', elem.find('./Upload/StorageClass').text)
        # the last key and upload id also on a page that is not truncated
        # (issue 12, item 9)
        self.assertEqual('c', elem.find('./NextKeyMarker').text)
        self.assertEqual('U4', elem.find('./NextUploadIdMarker').text)

    def test_empty_page_has_empty_next_markers(self):
        elem = self.list_uploads('&max-uploads=0')
        self.assertEqual([], self.keys(elem))
        self.assertIsNone(elem.find('./NextKeyMarker').text)
        self.assertIsNone(elem.find('./NextUploadIdMarker').text)

    def test_truncated_page_has_next_markers(self):
        # one upload on the page: stock s3api leaves the markers empty
        elem = self.list_uploads('&max-uploads=1')
        self.assertEqual([('a/1', 'U1')], self.keys(elem))
        self.assertEqual('true', elem.find('./IsTruncated').text)
        self.assertEqual('a/1', elem.find('./NextKeyMarker').text)
        self.assertEqual('U1', elem.find('./NextUploadIdMarker').text)

    def test_markers(self):
        self.swift.register_listing(listing('a/1'), [
            row(n) for n in self.names[:]])
        elem = self.list_uploads('&key-marker=a/1&max-uploads=2')
        self.assertEqual([('a/2', 'U2'), ('b', 'U3')], self.keys(elem))
        self.assertEqual('true', elem.find('./IsTruncated').text)
        self.assertEqual('b', elem.find('./NextKeyMarker').text)
        self.assertEqual('U3', elem.find('./NextUploadIdMarker').text)
        elem = self.list_uploads('&key-marker=a/1&upload-id-marker=U0')
        self.assertEqual([('a/1', 'U1'), ('a/2', 'U2'), ('b', 'U3'),
                          ('c', 'U4')], self.keys(elem))

    def test_delimiter(self):
        elem = self.list_uploads('&delimiter=/')
        self.assertEqual([('b', 'U3'), ('c', 'U4')], self.keys(elem))
        self.assertEqual(['a/'], [
            p.text for p in elem.findall('./CommonPrefixes/Prefix')])
        self.assertEqual('/', elem.find('./Delimiter').text)

    def test_prefix(self):
        self.swift.register_listing(listing(prefix='a/'), [
            row(n) for n in self.names[:3]])
        self.swift.register_listing(listing('a/1/U1/2', 'a/'), [])
        elem = self.list_uploads('&prefix=a/')
        self.assertEqual([('a/1', 'U1')], self.keys(elem))
        self.assertEqual('a/', elem.find('./Prefix').text)

    def test_encoding_type_url(self):
        self.swift.register_listing(listing(), [row('sp ace/U5')])
        self.swift.register_listing(listing('sp ace/U5'), [])
        elem = self.list_uploads('&encoding-type=url')
        self.assertEqual([('sp%20ace', 'U5')], self.keys(elem))
        self.assertEqual('url', elem.find('./EncodingType').text)

    def test_initiator_and_time_order(self):
        rows = [row('k/U9'), row('k/U1'), row('j/U5')]
        rows[0]['content_type'] = \
            'application/directory;s3api_initiator=test%3Atester2'
        rows[0]['last_modified'] = '2026-11-21T09:00:00.000000'
        self.swift.register_listing(listing(), rows)
        self.swift.register_listing(listing('j/U5'), [])
        elem = self.list_uploads()
        # by key, then by initiation time (U9 began first)
        self.assertEqual([('j', 'U5'), ('k', 'U9'), ('k', 'U1')],
                         self.keys(elem))
        # who created each upload; stock markers say nothing: the caller
        self.assertEqual(['test:tester', 'test:tester2', 'test:tester'], [
            e.text for e in elem.findall('./Upload/Initiator/ID')])
        self.assertEqual(['test:tester', 'test:tester2', 'test:tester'], [
            e.text for e in elem.findall('./Upload/Owner/ID')])

    def test_declared_checksums_from_the_rows(self):
        """
        Each Upload says what Create declared, read from the marker's
        listing row: no HEAD per upload.
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_MultipartUpload.html
        """
        rows = [row('j/U1'), row('k/U2'), row('k/U3')]
        rows[0]['content_type'] = 'application/directory;s3api_initiator=' \
            'test%3Atester;s3api_checksum_declared=CRC32%3ACOMPOSITE'
        rows[1]['content_type'] = 'application/directory;s3api_initiator=' \
            'test%3Atester;s3api_checksum_declared=CRC64NVME%3AFULL_OBJECT'
        self.swift.register_listing(listing(), rows)
        self.swift.register_listing(listing('k/U3'), [])
        resp = self.call('GET', '/bucket?uploads')
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual(AUTH_CALLS + [
            ('GET', listing()),          # every upload's marker row
            ('GET', listing('k/U3')),    # the end of the listing
            ('GET', INDEX_PAGE),
        ], self.swift.calls)
        # s3api's schema predates the checksum elements: no validation
        uploads = fromstring(resp.body).findall('./Upload')
        self.assertEqual([
            ('U1', 'CRC32', 'COMPOSITE'),
            ('U2', 'CRC64NVME', 'FULL_OBJECT'),
            ('U3', None, None),     # none declared (or a stock marker)
        ], [(u.find('./UploadId').text,
             u.findtext('./ChecksumAlgorithm'),
             u.findtext('./ChecksumType')) for u in uploads])

    def test_bad_params(self):
        for query in ('&max-uploads=x', '&max-uploads=-1',
                      '&encoding-type=json'):
            self.swift.calls[:] = []
            resp = self.call('GET', '/bucket?uploads' + query)
            self.assertS3Error(resp, 400, 'InvalidArgument')
            self.assertEqual(AUTH_CALLS, self.swift.calls, query)

    def test_no_segments_container(self):
        self.swift.register('GET', listing(), 404)
        elem = self.list_uploads()
        self.assertEqual([], self.keys(elem))

    def test_key_not_expected(self):
        resp = self.call('GET', '/bucket/obj?uploads')
        self.assertS3Error(resp, 400, 'InvalidRequest')
