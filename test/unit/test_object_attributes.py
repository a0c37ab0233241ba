"""GetObjectAttributes: GET /bucket/key?attributes"""

import json
from urllib.parse import quote

from swift.common.middleware.s3api.etree import fromstring

from swift3_multipart import layout, mpu
from test.unit.base import MultipartTestCase, OBJ, SEGMENTS
from test.unit.our_layout import OUR_ID

SLO_HEAD = {'X-Static-Large-Object': 'true', 'Content-Length': '15',
            'Etag': '"slo"', 'X-Object-Sysmeta-S3api-Etag': 'abc-3',
            'Last-Modified': 'Sat, 21 Nov 2026 10:00:00 GMT'}
MANIFEST = [{'name': '/bucket+segments/obj/UP/%d' % n, 'bytes': size,
             'hash': 'h', 'content_type': 'x', 'last_modified': 'y'}
            for n, size in ((1, 5), (2, 5), (4, 5))]


class TestObjectAttributes(MultipartTestCase):
    def attributes(self, names, headers=None, query=''):
        hdrs = {'x-amz-object-attributes': names}
        hdrs.update(headers or {})
        return self.call('GET', '/bucket/obj?attributes' + query,
                         headers=hdrs)

    def register_checksummed(self, upload_id='UP', names=None):
        """A COMPOSITE CRC32 upload: each part's checksum in its listing
        row (and not in the manifest, as SLO writes it)."""
        names = names or ['obj/%s/%d' % (upload_id, n) for n in (1, 2, 4)]
        manifest = [dict(entry, name='/bucket+segments/' + name)
                    for entry, name in zip(MANIFEST, names)]
        self.swift.register('HEAD', OBJ, 200, dict(SLO_HEAD, **{
            'X-Object-Sysmeta-S3api-Checksum-Crc32': 'whole-3',
            'X-Object-Sysmeta-S3api-Checksum-Type': 'COMPOSITE',
            ('X-Object-Sysmeta-S3api-Mpu-Upload-Id' if layout.is_ours(
                upload_id) else 'X-Object-Sysmeta-S3api-Upload-Id'):
            upload_id}))
        self.swift.register('GET', OBJ + '?multipart-manifest=get', 200,
                            {}, json.dumps(manifest).encode())
        self.swift.register_container(SEGMENTS, [
            {'name': name, 'bytes': 5, 'hash': 'h',
             'last_modified': '2026-11-21T10:00:00.000000',
             'content_type': mpu.part_content_type(
                 'x', 'CRC32', 'crc%d==' % n)}
            for n, name in enumerate(names, 1)] + [
            # another upload's, and a part the manifest does not name
            {'name': 'obj/other/1', 'bytes': 5, 'hash': 'h',
             'last_modified': '2026-11-21T10:00:00.000000',
             'content_type': mpu.part_content_type('x', 'CRC32', 'no==')}])

    def listings(self):
        return [path for method, path in self.swift.calls
                if method == 'GET' and path.startswith(SEGMENTS)]

    def test_multipart_object(self):
        """
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html
        """
        self.register_checksummed()
        resp = self.attributes(
            'ETag,ObjectParts,StorageClass,ObjectSize,Checksum')
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual([
            ('HEAD', OBJ),                                     # the object
            ('GET', OBJ + '?multipart-manifest=get'),   # its parts
            ('GET', SEGMENTS + '?format=json&limit=10000&prefix=obj/UP/'),
        ], self.swift.calls)                            # their checksums
        elem = fromstring(resp.body)
        self.assertEqual('GetObjectAttributesResponse', elem.tag)
        self.assertEqual('abc-3', elem.find('./ETag').text)   # unquoted
        self.assertEqual('15', elem.find('./ObjectSize').text)
        self.assertEqual('STANDARD', elem.find('./StorageClass').text)
        self.assertEqual('whole-3', elem.find(
            './Checksum/ChecksumCRC32').text)
        self.assertEqual('3', elem.find('./ObjectParts/PartsCount').text)
        # completed with parts 1, 2 and 4: numbered by position, as
        # GET ?partNumber counts them (see controllers/obj.py)
        self.assertEqual(['1', '2', '3'], [
            e.text for e in elem.findall('./ObjectParts/Part/PartNumber')])
        # each part's own checksum (issue 12 item 11)
        self.assertEqual(['crc1==', 'crc2==', 'crc3=='], [
            e.text for e in elem.findall(
                './ObjectParts/Part/ChecksumCRC32')])
        self.assertEqual(['5'] * 3, [
            e.text for e in elem.findall('./ObjectParts/Part/Size')])
        self.assertEqual('false', elem.find('./ObjectParts/IsTruncated').text)
        self.assertEqual('Sat, 21 Nov 2026 10:00:00 GMT',
                         resp.headers['Last-Modified'])

    def test_without_checksum_only_the_count(self):
        """An object uploaded without checksums: AWS answers ObjectParts
        with PartsCount alone, no Part (issue 12 item 11).
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributesParts.html
        """
        self.swift.register('HEAD', OBJ, 200, SLO_HEAD)
        self.swift.register('GET', OBJ + '?multipart-manifest=get', 200,
                            {}, json.dumps(MANIFEST).encode())
        resp = self.attributes('ObjectParts', headers={
            'x-amz-max-parts': '1'})
        self.assertEqual(200, resp.status_int, resp.body)
        parts = fromstring(resp.body).find('./ObjectParts')
        self.assertEqual(['PartsCount'], [e.tag for e in parts])
        self.assertEqual('3', parts.find('./PartsCount').text)

    def test_parts_paged(self):
        self.register_checksummed()
        resp = self.attributes('ObjectParts', headers={
            'x-amz-max-parts': '1', 'x-amz-part-number-marker': '1'})
        elem = fromstring(resp.body)
        self.assertEqual(['2'], [
            e.text for e in elem.findall('./ObjectParts/Part/PartNumber')])
        self.assertEqual('true', elem.find('./ObjectParts/IsTruncated').text)
        self.assertEqual('2', elem.find(
            './ObjectParts/NextPartNumberMarker').text)
        self.assertIsNone(elem.find('./ETag'))
        self.assertEqual(['crc2=='], [
            e.text for e in elem.findall(
                './ObjectParts/Part/ChecksumCRC32')])

    def test_our_layout_lists_from_the_page(self):
        """Our attempts sort by part number: the listing starts at the
        part before the page (one listing per page at any marker)."""
        names = [layout.attempt_name('obj', OUR_ID, n, 'a%d' % n)
                 for n in (1, 2, 3)]
        self.register_checksummed(OUR_ID, names)
        resp = self.attributes('ObjectParts', headers={
            'x-amz-max-parts': '1', 'x-amz-part-number-marker': '2'})
        self.assertEqual(200, resp.status_int, resp.body)
        elem = fromstring(resp.body)
        self.assertEqual([('3', 'crc3==')], [
            (e.find('./PartNumber').text, e.find('./ChecksumCRC32').text)
            for e in elem.findall('./ObjectParts/Part')])
        [listing] = self.listings()
        self.assertIn('marker=' + quote(names[1]), listing)

    def test_checksums_unreadable(self):
        self.register_checksummed()
        self.swift.register('GET', SEGMENTS + '?format=json&limit=10000&'
                            'prefix=obj/UP/', 403)
        resp = self.attributes('ObjectParts')
        self.assertEqual(200, resp.status_int, resp.body)
        parts = fromstring(resp.body).findall('./ObjectParts/Part')
        self.assertEqual(3, len(parts))
        self.assertEqual([], fromstring(resp.body).findall(
            './ObjectParts/Part/ChecksumCRC32'))

    def test_plain_object_has_no_parts(self):
        self.swift.register('HEAD', OBJ, 200, {
            'Content-Length': '3',
            'Etag': '"0cc175b9c0f1b6a831c399e269772661"'})
        resp = self.attributes('ETag,ObjectParts')
        elem = fromstring(resp.body)
        self.assertEqual('0cc175b9c0f1b6a831c399e269772661',
                         elem.find('./ETag').text)
        self.assertIsNone(elem.find('./ObjectParts'))
        self.assertEqual([('HEAD', OBJ)], self.swift.calls)

    def test_bad_attribute_headers(self):
        for value in ('', 'Bogus', 'ETag,Bogus'):
            resp = self.attributes(value)
            self.assertS3Error(resp, 400, 'InvalidArgument')
        resp = self.attributes('ETag', headers={'x-amz-max-parts': 'x'})
        self.assertS3Error(resp, 400, 'InvalidArgument')
        self.assertEqual([], self.swift.calls)

    def test_no_such_key(self):
        self.swift.register('HEAD', OBJ, 404)
        resp = self.attributes('ETag')
        self.assertS3Error(resp, 404, 'NoSuchKey')


def acl(*readers):
    """Object ACL sysmeta: test:tester owns it, ``readers`` may read."""
    return {'X-Object-Sysmeta-S3api-Acl': json.dumps({
        'Owner': 'test:tester', 'Grant': [
            {'Permission': 'FULL_CONTROL', 'Grantee': 'test:tester'}] + [
            {'Permission': 'READ', 'Grantee': r} for r in readers]})}


class TestObjectAttributesS3Acl(MultipartTestCase):
    """Under s3_acl (issue 12: 500 on every call): READ on the object."""
    conf = {'s3_acl': 'true'}

    def setUp(self):
        super().setUp()
        owner = json.dumps({'Owner': 'test:tester', 'Grant': [
            {'Permission': 'FULL_CONTROL', 'Grantee': 'test:tester'}]})
        self.swift.register('HEAD', '/v1/AUTH_test/bucket', 204, {
            'X-Container-Sysmeta-S3api-Acl': owner})
        self.swift.register('HEAD', OBJ, 200, dict(SLO_HEAD, **acl()))

    def attributes(self, user='test:tester', query=''):
        return self.call('GET', '/bucket/obj?attributes' + query, headers={
            'x-amz-object-attributes': 'ETag,ObjectSize'}, user=user)

    def test_owner(self):
        resp = self.attributes()
        self.assertEqual(200, resp.status_int, resp.body)
        elem = fromstring(resp.body)
        self.assertEqual('abc-3', elem.find('./ETag').text)
        self.assertEqual('15', elem.find('./ObjectSize').text)

    def test_reader_and_no_grant(self):
        self.assertS3Error(self.attributes('test:tester2'), 403,
                           'AccessDenied')
        self.swift.register('HEAD', OBJ, 200, dict(
            SLO_HEAD, **acl('test:tester2')))
        resp = self.attributes('test:tester2')
        self.assertEqual(200, resp.status_int, resp.body)

    def test_version_asked_for(self):
        # the version's own ACL is the one checked
        self.swift.register('HEAD', OBJ + '?version-id=v1', 200, dict(
            SLO_HEAD, **dict(acl('test:tester2'), **{
                'X-Object-Version-Id': 'v1'})))
        resp = self.attributes('test:tester2', query='&versionId=v1')
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertIn(('HEAD', OBJ + '?version-id=v1'), self.swift.calls)
