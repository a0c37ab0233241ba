"""Uploads move between stock s3api and ours: same SAIO, same data.

The SAIO's "stock" proxy runs Swift's own egg:swift#s3api over the same
backend as ours, so an operator switching filters with uploads in flight is
what these tests do.
"""

import json
import os

from test.functional import extra_saio
from test.functional.base import BucketTestCase, client, saio, MIN_PART, \
    aws_multipart_etag

# uploads of s3api's layout: the first phase of a rolling upgrade, and
# those a stock proxy began (our layout: test_our_layout.py)
setUpModule, tearDownModule = extra_saio.stock_layout()


class TestCompat(BucketTestCase):
    def setUp(self):
        super().setUp()
        self.stock = client(proxy='stock')

    def test_started_on_stock_completed_on_ours(self):
        data = [os.urandom(2 * MIN_PART), os.urandom(MIN_PART), b'end']
        upload_id = self.create(s3=self.stock, ContentType='image/png',
                                Metadata={'k': 'v'})
        parts = [self.upload(upload_id, 1, data[0], s3=self.stock),
                 self.upload(upload_id, 2, data[1]),
                 self.upload(upload_id, 3, data[2], s3=self.stock)]
        listed = self.s3.list_parts(Bucket=self.bucket, Key='obj',
                                    UploadId=upload_id)
        self.assertEqual([p['ETag'] for p in parts],
                         [p['ETag'] for p in listed['Parts']])
        result = self.complete(upload_id, parts)
        self.assertEqual(aws_multipart_etag(data), result['ETag'])
        for s3 in (self.s3, self.stock):
            got = s3.get_object(Bucket=self.bucket, Key='obj')
            self.assertEqual(b''.join(data), got['Body'].read())
            self.assertEqual(aws_multipart_etag(data), got['ETag'])
            self.assertEqual('image/png', got['ContentType'])
            self.assertEqual({'k': 'v'}, got['Metadata'])

    def test_started_on_ours_completed_on_stock(self):
        data = [os.urandom(MIN_PART), b'end']
        upload_id = self.create(ContentType='text/csv')
        parts = [self.upload(upload_id, 1, data[0]),
                 self.upload(upload_id, 2, data[1], s3=self.stock)]
        listed = self.stock.list_parts(Bucket=self.bucket, Key='obj',
                                       UploadId=upload_id)
        self.assertEqual([1, 2], [p['PartNumber'] for p in listed['Parts']])
        result = self.complete(upload_id, parts, s3=self.stock)
        self.assertEqual(aws_multipart_etag(data), result['ETag'])
        for s3 in (self.s3, self.stock):
            got = s3.get_object(Bucket=self.bucket, Key='obj')
            self.assertEqual(b''.join(data), got['Body'].read())
            self.assertEqual('text/csv', got['ContentType'])
        # and our filter knows the stock-completed upload is done
        self.assertS3Error('NoSuchUpload', 404, self.s3.upload_part,
                           Bucket=self.bucket, Key='obj', UploadId=upload_id,
                           PartNumber=1, Body=b'x' * MIN_PART)
        self.assertEqual(b''.join(data), self.read())
        again = self.complete(upload_id, parts)
        self.assertEqual(result['ETag'], again['ETag'])

    def test_listed_and_aborted_across(self):
        ours = self.create('a')
        theirs = self.create('b', s3=self.stock)
        for s3 in (self.s3, self.stock):
            listed = s3.list_multipart_uploads(Bucket=self.bucket)
            self.assertEqual([('a', ours), ('b', theirs)], [
                (u['Key'], u['UploadId']) for u in listed['Uploads']])
        self.upload(ours, 1, b'x', key='a')
        self.upload(theirs, 1, b'y', key='b')
        self.stock.abort_multipart_upload(Bucket=self.bucket, Key='a',
                                          UploadId=ours)
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key='b',
                                       UploadId=theirs)
        self.assertEqual([], self.segments())

    def test_stock_corrupts_where_we_refuse(self):
        """The bug we fix, shown on the same SAIO: stock s3api accepts an
        UploadPart after Complete and the object no longer reads back."""
        data = [os.urandom(MIN_PART), b'end']
        upload_id = self.create()
        parts = [self.upload(upload_id, n + 1, d) for n, d in enumerate(data)]
        self.complete(upload_id, parts)
        self.assertS3Error('NoSuchUpload', 404, self.s3.upload_part,
                           Bucket=self.bucket, Key='obj', UploadId=upload_id,
                           PartNumber=1, Body=b'z' * MIN_PART)
        self.assertEqual(b''.join(data), self.read())
        self.stock.upload_part(Bucket=self.bucket, Key='obj',
                               UploadId=upload_id, PartNumber=1,
                               Body=b'z' * MIN_PART)
        with self.assertRaises(Exception):
            self.read()


class TestSameManifest(BucketTestCase):
    """Our Complete writes the SLO manifest below SLO: it must store what
    stock s3api (through SLO) stores for the same parts."""

    def test_manifest_same_as_stock(self):
        stock = client(proxy='stock')
        data = [os.urandom(2 * MIN_PART), os.urandom(MIN_PART), b'end']
        for key, s3 in (('ours', self.s3), ('stock', stock)):
            upload_id = self.create(key, s3=s3, ContentType='text/plain',
                                    Metadata={'m': '1'})
            parts = [self.upload(upload_id, n + 1, d, key=key, s3=s3)
                     for n, d in enumerate(data)]
            self.complete(upload_id, parts, key=key, s3=s3)
        ic = saio().internal_client()
        account = saio().env()['accounts']['test:tester']
        stored = {}
        for key in ('ours', 'stock'):
            meta = ic.get_object_metadata(account, self.bucket, key)
            _, _, body = ic.get_object(
                account, self.bucket, key,
                params={'multipart-manifest': 'get', 'format': 'raw'})
            entries = json.loads(b''.join(body))
            for entry in entries:
                # SLO records the segment's Last-Modified (whole seconds)
                self.assertTrue(entry.pop('last_modified').endswith(
                    '.000000'), entry)
                self.assertTrue(entry.pop('name').startswith(
                    '/%s+segments/%s/' % (self.bucket, key)))
            stored[key] = (
                {k: v for k, v in meta.items() if k in COMPARED_HEADERS},
                entries)
        self.assertEqual(stored['stock'], stored['ours'])
        self.assertEqual(set(COMPARED_HEADERS), set(stored['ours'][0]))
        listing = {o['name']: o for o in ic.iter_objects(account,
                                                         self.bucket)}
        self.assertEqual(listing['stock']['bytes'], listing['ours']['bytes'])
        self.assertEqual(
            listing['stock']['hash'].split(';', 1)[1],
            listing['ours']['hash'].split(';', 1)[1])


COMPARED_HEADERS = (
    'x-static-large-object', 'x-object-sysmeta-slo-etag',
    'x-object-sysmeta-slo-size', 'x-object-sysmeta-s3api-etag',
    'content-type', 'x-object-meta-m',
)
