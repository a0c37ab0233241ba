"""GetObjectAttributes: GET /bucket/key?attributes"""

import json

from swift.common.middleware.s3api.etree import fromstring

from test.unit.base import MultipartTestCase, OBJ

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

    def test_multipart_object(self):
        self.swift.register('HEAD', OBJ, 200, SLO_HEAD)
        self.swift.register('GET', OBJ + '?multipart-manifest=get', 200,
                            {}, json.dumps(MANIFEST).encode())
        resp = self.attributes('ETag,ObjectParts,StorageClass,ObjectSize')
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual([
            ('HEAD', OBJ),                                     # the object
            ('GET', OBJ + '?multipart-manifest=get'),   # its parts
        ], self.swift.calls)
        elem = fromstring(resp.body)
        self.assertEqual('GetObjectAttributesResponse', elem.tag)
        self.assertEqual('abc-3', elem.find('./ETag').text)   # unquoted
        self.assertEqual('15', elem.find('./ObjectSize').text)
        self.assertEqual('STANDARD', elem.find('./StorageClass').text)
        self.assertEqual('3', elem.find('./ObjectParts/PartsCount').text)
        # completed with parts 1, 2 and 4: numbered by position, as
        # GET ?partNumber counts them (see controllers/obj.py)
        self.assertEqual(['1', '2', '3'], [
            e.text for e in elem.findall('./ObjectParts/Part/PartNumber')])
        self.assertEqual('false', elem.find('./ObjectParts/IsTruncated').text)
        self.assertEqual('Sat, 21 Nov 2026 10:00:00 GMT',
                         resp.headers['Last-Modified'])

    def test_parts_paged(self):
        self.swift.register('HEAD', OBJ, 200, SLO_HEAD)
        self.swift.register('GET', OBJ + '?multipart-manifest=get', 200,
                            {}, json.dumps(MANIFEST).encode())
        resp = self.attributes('ObjectParts', headers={
            'x-amz-max-parts': '1', 'x-amz-part-number-marker': '1'})
        elem = fromstring(resp.body)
        self.assertEqual(['2'], [
            e.text for e in elem.findall('./ObjectParts/Part/PartNumber')])
        self.assertEqual('true', elem.find('./ObjectParts/IsTruncated').text)
        self.assertEqual('2', elem.find(
            './ObjectParts/NextPartNumberMarker').text)
        self.assertIsNone(elem.find('./ETag'))

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
