"""PUT/GET/DELETE /bucket?lifecycle, through our BucketController."""

import base64
import hashlib
import json
import zlib

from swift.common.middleware.s3api.etree import fromstring

from test.unit.base import MultipartTestCase, ACCOUNT, BUCKET

SYSMETA = 'X-Container-Sysmeta-S3api-Lifecycle'
CONFIG = (b'<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/'
          b'2006-03-01/"><Rule><ID>tmp</ID><Filter><Prefix>tmp/</Prefix>'
          b'</Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload>'
          b'<DaysAfterInitiation>7</DaysAfterInitiation>'
          b'</AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>')
STORED = '[["tmp","filter","tmp/",1,7]]'
EXPIRATION = CONFIG.replace(b'<Status>', b'<Expiration><Days>1</Days>'
                            b'</Expiration><Status>')


def content_md5(body):
    return base64.b64encode(hashlib.md5(body).digest()).decode()


class TestPutLifecycle(MultipartTestCase):
    def put(self, body=CONFIG, headers=None, user='test:tester'):
        hdrs = {'Content-MD5': content_md5(body)}
        hdrs.update(headers or {})
        return self.call('PUT', '/bucket?lifecycle', body, hdrs, user=user)

    def test_put_stores_sysmeta(self):
        """
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html
        """
        self.swift.register('POST', BUCKET, 204)
        resp = self.put()
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual(b'', resp.body)
        self.assertEqual([
            ('POST', BUCKET),    # one write: the bucket's sysmeta
        ], self.swift.calls)
        self.assertEqual(STORED, self.swift.headers[-1][SYSMETA])

    def test_put_with_checksum_instead_of_md5(self):
        # what boto3 sends now: x-amz-checksum-crc32, no Content-MD5
        self.swift.register('POST', BUCKET, 204)
        crc = base64.b64encode(
            zlib.crc32(CONFIG).to_bytes(4, 'big')).decode()
        resp = self.call('PUT', '/bucket?lifecycle', CONFIG,
                         {'x-amz-checksum-crc32': crc})
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual(STORED, self.swift.headers[-1][SYSMETA])

    def test_put_needs_content_md5(self):
        resp = self.call('PUT', '/bucket?lifecycle', CONFIG)
        self.assertS3Error(resp, 400, 'InvalidRequest')
        self.assertIn(b'Content-MD5', resp.body)
        self.assertEqual([], self.swift.calls)

    def test_put_bad_md5(self):
        resp = self.put(headers={'Content-MD5': content_md5(b'other')})
        self.assertS3Error(resp, 400, 'BadDigest')
        self.assertEqual([], self.swift.calls)

    def test_put_refused_writes_nothing(self):
        for body, status, code in (
                (b'', 400, 'MalformedXML'),
                (b'<LifecycleConfiguration/>', 400, 'MalformedXML'),
                (CONFIG.replace(b'>7<', b'>0<'), 400, 'InvalidArgument'),
                (CONFIG.replace(b'<Prefix>tmp/</Prefix>',
                                b'<Tag><Key>k</Key><Value>v</Value></Tag>'),
                 400, 'InvalidRequest'),
                (EXPIRATION, 501, 'NotImplemented'),
                (b'x' * (256 * 1024 + 1), 400, 'MalformedXML')):
            with self.subTest(body=body[:60]):
                resp = self.put(body)
                self.assertS3Error(resp, status, code)
        self.assertEqual([], self.swift.calls)

    def test_put_over_ceiling(self):
        self.app.conf.abort_incomplete_days_max = 5
        resp = self.put()
        self.assertS3Error(resp, 400, 'InvalidArgument')
        self.assertIn(b'at most 5', resp.body)
        self.assertEqual([], self.swift.calls)

    def test_put_no_such_bucket(self):
        self.swift.register('POST', ACCOUNT + '/nobucket', 404)
        resp = self.call('PUT', '/nobucket?lifecycle', CONFIG,
                         {'Content-MD5': content_md5(CONFIG)})
        self.assertS3Error(resp, 404, 'NoSuchBucket')

    def test_put_not_owner(self):
        # Swift lets only the account's owners POST to a container
        self.swift.register('POST', BUCKET, 403)
        resp = self.put(user='test:tester2')
        self.assertS3Error(resp, 403, 'AccessDenied')


class TestGetDeleteLifecycle(MultipartTestCase):
    def test_get(self):
        """
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLifecycleConfiguration.html
        """
        self.swift.register('HEAD', BUCKET, 204, {SYSMETA: STORED})
        resp = self.call('GET', '/bucket?lifecycle')
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual('application/xml', resp.content_type)
        self.assertEqual([('HEAD', BUCKET)], self.swift.calls)
        root = fromstring(resp.body)
        self.assertEqual('LifecycleConfiguration', root.tag)
        self.assertEqual('tmp', root.find('./Rule/ID').text)
        self.assertEqual('tmp/', root.find('./Rule/Filter/Prefix').text)
        self.assertEqual('7', root.find(
            './Rule/AbortIncompleteMultipartUpload/DaysAfterInitiation').text)

    def test_get_without_configuration(self):
        resp = self.call('GET', '/bucket?lifecycle')
        self.assertS3Error(resp, 404, 'NoSuchLifecycleConfiguration')
        self.assertEqual('bucket', fromstring(resp.body).find(
            './BucketName').text)

    def test_get_no_such_bucket(self):
        self.swift.register('HEAD', ACCOUNT + '/nobucket', 404)
        resp = self.call('GET', '/nobucket?lifecycle')
        self.assertS3Error(resp, 404, 'NoSuchBucket')

    def test_delete(self):
        """
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketLifecycle.html
        """
        self.swift.register('POST', BUCKET, 204)
        resp = self.call('DELETE', '/bucket?lifecycle')
        self.assertEqual(204, resp.status_int, resp.body)
        self.assertEqual([('POST', BUCKET)], self.swift.calls)
        self.assertEqual('', self.swift.headers[-1][SYSMETA])  # removes it

    def test_other_bucket_requests_are_upstreams(self):
        self.swift.register_listing(
            BUCKET + '?limit=1001', [])
        resp = self.call('GET', '/bucket')
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual('ListBucketResult', fromstring(resp.body).tag)


class TestLifecycleWithS3Acl(MultipartTestCase):
    """With s3_acl the lifecycle configuration is the bucket owner's."""
    conf = {'s3_acl': 'true'}

    def setUp(self):
        super().setUp()
        acl = json.dumps({'Owner': 'test:tester', 'Grant': [
            {'Permission': 'FULL_CONTROL', 'Grantee': 'test:tester'},
            {'Permission': 'WRITE', 'Grantee': 'test:tester2'},
            {'Permission': 'READ', 'Grantee': 'test:tester2'}]})
        self.swift.register('HEAD', BUCKET, 204, {
            'X-Container-Sysmeta-S3api-Acl': acl, SYSMETA: STORED})
        self.swift.register('POST', BUCKET, 204)

    def test_owner(self):
        resp = self.call('PUT', '/bucket?lifecycle', CONFIG,
                         {'Content-MD5': content_md5(CONFIG)})
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual(('POST', BUCKET), self.swift.calls[-1])
        resp = self.call('GET', '/bucket?lifecycle')
        self.assertEqual(200, resp.status_int, resp.body)
        resp = self.call('DELETE', '/bucket?lifecycle')
        self.assertEqual(204, resp.status_int, resp.body)
        self.assertEqual(('POST', BUCKET), self.swift.calls[-1])

    def test_writer_is_not_owner(self):
        for method, body in (('PUT', CONFIG), ('GET', b''),
                             ('DELETE', b'')):
            with self.subTest(method=method):
                del self.swift.calls[:]
                resp = self.call(method, '/bucket?lifecycle', body,
                                 {'Content-MD5': content_md5(body)},
                                 user='test:tester2')
                self.assertS3Error(resp, 403, 'AccessDenied')
                self.assertNotIn(('POST', BUCKET), self.swift.calls)
