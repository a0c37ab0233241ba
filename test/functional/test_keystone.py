"""The operators' pipeline: a real Keystone, s3token, authtoken and
keystoneauth (issue 13 item 1).

A SAIO of its own (base port + 320; Keystone at + 5, installed into
``.venv-keystone`` on first use, see test/saio/keystone_service.py) whose
proxies run ``authtoken s3api s3token keystoneauth``, the order of s3api's
docs. S3 users are EC2 credentials of Keystone users: ``test-tester``
(role swiftoperator in project test), ``test-tester2`` (a member of
project test without an operator role) and ``test2-tester3``
(swiftoperator of project test2); their accounts are
``AUTH_<project id>``. The stock proxy beside ours runs the same pipeline,
so that every denial is compared with what stock s3api answers.

Each test runs with ``s3_acl`` off (``TestKeystone``...) and on
(``...S3Acl``: both proxies restarted with ``s3_acl = true``).
"""

import io
import json

import urllib3
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from test.functional import extra_saio, figures, test_reaper
from test.functional.base import BucketTestCase, MIN_PART, access_key, \
    client, error_code, saio
from test.functional.figures import print_figures  # noqa: F401
from test.saio.keystone_service import OPERATOR_ROLE

OFFSET = 320
setUpModule, tearDownModule = extra_saio.module_saio(
    'keystone', OFFSET, saio_options={'auth': 'keystone'})


def answer(call):
    """(HTTP status, S3 error code or None) of a boto3 call."""
    try:
        resp = call()
    except ClientError as err:
        return (err.response['ResponseMetadata']['HTTPStatusCode'],
                error_code(err))
    return resp['ResponseMetadata']['HTTPStatusCode'], None


def swift_get(path, token):
    """GET on the Swift API of our proxy with a Keystone token:
    :returns: (status, body)."""
    resp = urllib3.PoolManager().request(
        'GET', saio().env()['endpoint'] + path,
        headers={'X-Auth-Token': token}, retries=False)
    return resp.status, resp.data


class KeystoneTestCase(BucketTestCase):
    def setUp(self):
        super().setUp()
        self.env = saio().env()
        self.assertEqual('keystone', self.env['auth'])
        self.stock = client(proxy='stock')

    def uploaded(self, key='obj'):
        """An upload of two parts by the bucket's owner."""
        upload_id = self.create(key)
        parts = [self.upload(upload_id, 1, b'1' * MIN_PART, key=key),
                 self.upload(upload_id, 2, b'2' * 100, key=key)]
        return upload_id, parts

    def attempts(self, s3, upload_id, parts, key='obj'):
        """What a user may try on someone's upload, as (name, call)."""
        bucket = self.bucket
        return [
            ('ListMultipartUploads',
             lambda: s3.list_multipart_uploads(Bucket=bucket)),
            ('ListParts', lambda: s3.list_parts(
                Bucket=bucket, Key=key, UploadId=upload_id)),
            ('UploadPart', lambda: s3.upload_part(
                Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1,
                Body=b'x' * MIN_PART)),
            ('UploadPartCopy', lambda: s3.upload_part_copy(
                Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=3,
                CopySource={'Bucket': bucket, 'Key': 'plain'})),
            ('CompleteMultipartUpload', lambda: s3.complete_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload_id,
                MultipartUpload={'Parts': parts})),
            ('AbortMultipartUpload', lambda: s3.abort_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload_id)),
            ('CreateMultipartUpload', lambda: s3.create_multipart_upload(
                Bucket=bucket, Key='theirs')),
        ]

    def assertDeniedLikeStock(self, name, upload_id, parts):
        """Every attempt of user ``name`` on ours answers a 4xx, the same
        status and code as stock s3api on the same pipeline, and the owner's
        upload is as it was.

        :returns: the S3 error codes ours answered
        """
        self.s3.put_object(Bucket=self.bucket, Key='plain', Body=b'p' * 10)
        ours = client(access_key(name))
        stock = client(access_key(name), proxy='stock')
        stock_upload = self.create('stock-obj', s3=self.stock)
        stock_parts = [self.upload(stock_upload, 1, b's' * MIN_PART,
                                   key='stock-obj', s3=self.stock)]
        codes = []
        for (op, ours_call), (_, stock_call) in zip(
                self.attempts(ours, upload_id, parts),
                self.attempts(stock, stock_upload, stock_parts,
                              key='stock-obj')):
            got, expected = answer(ours_call), answer(stock_call)
            with self.subTest(user=name, operation=op):
                self.assertEqual(expected, got)
                self.assertGreaterEqual(got[0], 400)
                self.assertLess(got[0], 500)
            codes.append(got[1])
        listed = self.s3.list_parts(Bucket=self.bucket, Key='obj',
                                    UploadId=upload_id)['Parts']
        self.assertEqual([(p['PartNumber'], p['ETag']) for p in parts],
                         [(p['PartNumber'], p['ETag']) for p in listed])
        self.assertEqual(['obj', 'stock-obj'], sorted(
            u['Key'] for u in self.s3.list_multipart_uploads(
                Bucket=self.bucket)['Uploads']))
        figures.record('keystone', '%s (%s, s3_acl %s): %s, as stock' % (
            name, ' '.join(self.env['user_groups'][access_key(name)]),
            self.env['s3api_options'].get('s3_acl', 'false'), ', '.join(
                '%s %d' % (c, codes.count(c)) for c in sorted(set(codes)))))
        return codes


class TestKeystone(KeystoneTestCase):
    def test_upload_end_to_end(self):
        """boto3 with EC2 credentials: the whole upload, and the object
        reads back on both proxies."""
        upload_id, parts = self.uploaded()
        self.assertEqual([1, 2], [p['PartNumber'] for p in self.s3.list_parts(
            Bucket=self.bucket, Key='obj', UploadId=upload_id)['Parts']])
        done = self.complete(upload_id, parts)
        self.assertTrue(done['ETag'].endswith('-2"'), done['ETag'])
        body = b'1' * MIN_PART + b'2' * 100
        self.assertEqual(body, self.read())
        self.assertEqual(body, self.stock.get_object(
            Bucket=self.bucket, Key='obj')['Body'].read())
        # the upload_file of boto3's transfer manager, in parts
        self.s3.upload_fileobj(
            io.BytesIO(b'f' * (9 * 1024 * 1024)), self.bucket, 'file',
            Config=TransferConfig(multipart_threshold=5 * 1024 * 1024,
                                  multipart_chunksize=5 * 1024 * 1024))
        head = self.s3.head_object(Bucket=self.bucket, Key='file')
        self.assertTrue(head['ETag'].endswith('-2"'), head['ETag'])

    def test_initiator_and_owner_as_stock(self):
        """ListParts and ListMultipartUploads name Keystone users as stock
        s3api does (``<project name>:<user name>``, from s3token)."""
        ours, _ = self.uploaded()
        stock = self.create('stock-obj', s3=self.stock)
        seen = {}
        for name, s3, key, upload_id in (
                ('ours', self.s3, 'obj', ours),
                ('stock', self.stock, 'stock-obj', stock)):
            parts = s3.list_parts(Bucket=self.bucket, Key=key,
                                  UploadId=upload_id)
            listed = [u for u in s3.list_multipart_uploads(
                Bucket=self.bucket)['Uploads'] if u['Key'] == key][0]
            seen[name] = [parts['Initiator'], parts['Owner'],
                          listed['Initiator'], listed['Owner']]
        self.assertEqual(seen['stock'], seen['ours'])
        self.assertEqual('test:tester', seen['ours'][0]['ID'])

    def test_other_project(self):
        """A user of another project reaches neither the uploads nor, with
        a Keystone token, the parts through the Swift API."""
        upload_id, parts = self.uploaded()
        self.assertIn('NoSuchBucket', self.assertDeniedLikeStock(
            'tester3', upload_id, parts))
        keystone = saio().config.keystone
        account = self.env['accounts'][self.env['access_key']]
        segments = '/v1/%s/%s+segments' % (account, self.bucket)
        owner = keystone.token('tester', 'testing', 'test')
        status, body = swift_get(segments + '?format=json', owner)
        self.assertEqual(200, status)
        part = json.loads(body)[0]['name']
        other = keystone.token('tester3', 'testing3', 'test2')
        self.assertEqual(403, swift_get(segments, other)[0])
        self.assertEqual(403, swift_get(segments + '/' + part, other)[0])
        # the owner may read it (so the 403 is keystoneauth's answer)
        status, body = swift_get(segments + '/' + part, owner)
        self.assertEqual((200, MIN_PART), (status, len(body)))

    def test_member_without_operator_role(self):
        """A member of the bucket's project without an operator role gets
        what keystoneauth gives it (AccessDenied), as on stock."""
        roles = self.env['user_groups'][access_key('tester2')]
        self.assertNotIn(OPERATOR_ROLE, roles)
        upload_id, parts = self.uploaded()
        codes = self.assertDeniedLikeStock('tester2', upload_id, parts)
        self.assertIn('AccessDenied', codes)


class TestKeystoneS3Acl(TestKeystone):
    """The same with ``s3_acl = true`` on both proxies."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        _set_s3_acl('true')

    @classmethod
    def tearDownClass(cls):
        _set_s3_acl(None)
        super().tearDownClass()


def _set_s3_acl(value):
    extra = saio()
    options = dict(extra.config.extra_s3api_options)
    if value is None:
        options.pop('s3_acl', None)
    else:
        options['s3_acl'] = value
    extra.config.extra_s3api_options = options
    for proxy in extra.config.proxies:
        extra.restart_proxy(proxy)


class TestReaperKeystone(test_reaper.TestReaper):
    """The reaper on a Keystone account (AUTH_<project id>)."""

    def setUp(self):
        super().setUp()
        self.assertRegex(self.account, r'^AUTH_[0-9a-f]{32}$')


class TestAuditKeystone(test_reaper.TestAudit):
    pass
