"""The upload lifecycle with boto3's default settings (CRC32 checksums).

https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html
"""

import os

from swift.common.swob import Request

from test.functional.base import BucketTestCase, MIB, aws_multipart_etag, \
    client, saio


class TestLifecycle(BucketTestCase):
    def test_create_upload_list_complete_read(self):
        upload_id = self.create(ContentType='text/plain',
                                Metadata={'color': 'blue'},
                                CacheControl='no-cache')
        data = [os.urandom(MIB), os.urandom(MIB), b'tail']
        parts = [self.upload(upload_id, n + 1, d) for n, d in enumerate(data)]

        listed = self.s3.list_parts(Bucket=self.bucket, Key='obj',
                                    UploadId=upload_id, MaxParts=2)
        self.assertTrue(listed['IsTruncated'])
        self.assertEqual(2, listed['NextPartNumberMarker'])
        self.assertEqual([1, 2], [p['PartNumber'] for p in listed['Parts']])
        self.assertEqual([MIB, MIB], [p['Size'] for p in listed['Parts']])
        self.assertEqual('test:tester', listed['Initiator']['ID'])
        rest = self.s3.list_parts(Bucket=self.bucket, Key='obj',
                                  UploadId=upload_id, PartNumberMarker=2)
        self.assertFalse(rest['IsTruncated'])
        self.assertEqual([(3, parts[2]['ETag'], 4)], [
            (p['PartNumber'], p['ETag'], p['Size']) for p in rest['Parts']])

        result = self.complete(upload_id, parts)
        self.assertEqual(aws_multipart_etag(data), result['ETag'])
        self.assertEqual(self.bucket, result['Bucket'])
        self.assertEqual('obj', result['Key'])

        got = self.s3.get_object(Bucket=self.bucket, Key='obj')
        self.assertEqual(b''.join(data), got['Body'].read())
        self.assertEqual(aws_multipart_etag(data), got['ETag'])
        self.assertEqual('text/plain', got['ContentType'])
        self.assertEqual({'color': 'blue'}, got['Metadata'])
        self.assertEqual('no-cache', got['CacheControl'])
        # the upload is gone from the listing, its parts are the segments
        self.assertNotIn('Uploads', self.s3.list_multipart_uploads(
            Bucket=self.bucket))
        self.assertEqual({('obj', upload_id): [1, 2, 3]},
                         self.stored_parts())

    def test_upload_part_after_complete(self):
        upload_id = self.create()
        data = [os.urandom(2048), b'last']
        parts = [self.upload(upload_id, n + 1, d) for n, d in enumerate(data)]
        self.complete(upload_id, parts)
        # stock s3api accepts this part and breaks the object (BrokenMPU)
        self.assertS3Error('NoSuchUpload', 404, self.s3.upload_part,
                           Bucket=self.bucket, Key='obj', UploadId=upload_id,
                           PartNumber=1, Body=b'x' * 2048)
        self.assertS3Error('NoSuchUpload', 404, self.s3.list_parts,
                           Bucket=self.bucket, Key='obj', UploadId=upload_id)
        self.assertEqual(b''.join(data), self.read())

    def test_complete_retry_same_answer(self):
        upload_id = self.create()
        data = [os.urandom(2048), b'last']
        parts = [self.upload(upload_id, n + 1, d) for n, d in enumerate(data)]
        first = self.complete(upload_id, parts)
        again = self.complete(upload_id, parts)
        self.assertEqual(first['ETag'], again['ETag'])
        self.assertS3Error('NoSuchUpload', 404, self.complete, upload_id,
                           parts[:1])
        self.assertEqual(b''.join(data), self.read())

    def test_abort(self):
        upload_id = self.create()
        self.upload(upload_id, 1, os.urandom(2048))
        self.upload(upload_id, 2, b'x')
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key='obj',
                                       UploadId=upload_id)
        self.assertEqual([], self.live_segments())
        self.assertS3Error('NoSuchUpload', 404, self.s3.list_parts,
                           Bucket=self.bucket, Key='obj', UploadId=upload_id)
        self.assertS3Error('NoSuchUpload', 404, self.s3.upload_part,
                           Bucket=self.bucket, Key='obj', UploadId=upload_id,
                           PartNumber=1, Body=b'x')
        self.assertS3Error('NoSuchUpload', 404,
                           self.s3.abort_multipart_upload,
                           Bucket=self.bucket, Key='obj', UploadId=upload_id)
        self.assertS3Error('NoSuchKey', 404, self.read)

    def test_abort_after_complete(self):
        upload_id = self.create()
        parts = [self.upload(upload_id, 1, b'only part')]
        self.complete(upload_id, parts)
        self.assertS3Error('NoSuchUpload', 404,
                           self.s3.abort_multipart_upload,
                           Bucket=self.bucket, Key='obj', UploadId=upload_id)
        self.assertEqual(b'only part', self.read())

    def test_list_multipart_uploads(self):
        ids = {key: self.create(key) for key in ('a/1', 'a/2', 'b')}
        listed = self.s3.list_multipart_uploads(Bucket=self.bucket)
        self.assertEqual(sorted(ids.items()), [
            (u['Key'], u['UploadId']) for u in listed['Uploads']])
        page = self.s3.list_multipart_uploads(Bucket=self.bucket,
                                              MaxUploads=1)
        self.assertTrue(page['IsTruncated'])
        self.assertEqual('a/1', page['NextKeyMarker'])
        self.assertEqual(ids['a/1'], page['NextUploadIdMarker'])
        page = self.s3.list_multipart_uploads(Bucket=self.bucket,
                                              Delimiter='/')
        self.assertEqual([{'Prefix': 'a/'}], page['CommonPrefixes'])
        self.assertEqual(['b'], [u['Key'] for u in page['Uploads']])


class TestInitiator(BucketTestCase):
    """Initiator and Owner are who created the upload, not who asks.

    https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html
    """

    def test_initiator_is_creator(self):
        ic = saio().internal_client()
        account = saio().env()['accounts']['test:tester']
        self.create('warmup')   # makes the segments container
        for container in (self.bucket, self.bucket + '+segments'):
            # ACL headers count only from an owner
            resp = Request.blank(ic.make_path(account, container), environ={
                'REQUEST_METHOD': 'POST', 'swift_owner': True}, headers={
                'X-Container-Write': 'test:tester2',
                'X-Container-Read': 'test:tester2'}).get_response(ic.app)
            self.assertEqual(204, resp.status_int)
        upload_id = self.create('theirs', s3=client('test:tester2'))
        listed = self.s3.list_multipart_uploads(Bucket=self.bucket)
        by_key = {u['Key']: u for u in listed['Uploads']}
        self.assertEqual(upload_id, by_key['theirs']['UploadId'])
        self.assertEqual('test:tester2', by_key['theirs']['Initiator']['ID'])
        self.assertEqual('test:tester2', by_key['theirs']['Owner']['ID'])
        self.assertEqual('test:tester', by_key['warmup']['Initiator']['ID'])
        parts = self.s3.list_parts(Bucket=self.bucket, Key='theirs',
                                   UploadId=upload_id)
        self.assertEqual('test:tester2', parts['Initiator']['ID'])
