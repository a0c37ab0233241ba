"""GetObjectAttributes on multipart and plain objects.

https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html
"""

import os

from test.functional.base import BucketTestCase, MIN_PART, \
    aws_multipart_etag


class TestObjectAttributes(BucketTestCase):
    def test_multipart_object(self):
        data = [os.urandom(MIN_PART), os.urandom(MIN_PART), b'end']
        upload_id = self.create()
        parts = [self.upload(upload_id, n, d)
                 for n, d in zip((1, 2, 5), data)]
        self.complete(upload_id, parts)
        got = self.s3.get_object_attributes(
            Bucket=self.bucket, Key='obj',
            ObjectAttributes=['ETag', 'ObjectParts', 'StorageClass',
                              'ObjectSize'])
        self.assertEqual(aws_multipart_etag(data).strip('"'), got['ETag'])
        self.assertEqual(len(b''.join(data)), got['ObjectSize'])
        self.assertEqual('STANDARD', got['StorageClass'])
        self.assertEqual(3, got['ObjectParts']['TotalPartsCount'])
        # parts 1, 2 and 5 are the object's parts 1 to 3 (positions, as
        # GET ?partNumber counts them: see controllers/obj.py)
        self.assertEqual([(1, MIN_PART), (2, MIN_PART), (3, 3)], [
            (p['PartNumber'], p['Size'])
            for p in got['ObjectParts']['Parts']])
        page = self.s3.get_object_attributes(
            Bucket=self.bucket, Key='obj', ObjectAttributes=['ObjectParts'],
            MaxParts=1, PartNumberMarker=1)
        self.assertTrue(page['ObjectParts']['IsTruncated'])
        self.assertEqual([2], [
            p['PartNumber'] for p in page['ObjectParts']['Parts']])

    def test_plain_object(self):
        self.s3.put_object(Bucket=self.bucket, Key='plain', Body=b'abc')
        got = self.s3.get_object_attributes(
            Bucket=self.bucket, Key='plain',
            ObjectAttributes=['ETag', 'ObjectSize', 'ObjectParts'])
        self.assertEqual('900150983cd24fb0d6963f7d28e17f72', got['ETag'])
        self.assertEqual(3, got['ObjectSize'])
        self.assertNotIn('ObjectParts', got)

    def test_errors(self):
        self.assertS3Error('NoSuchKey', 404,
                           self.s3.get_object_attributes,
                           Bucket=self.bucket, Key='nope',
                           ObjectAttributes=['ETag'])
        self.s3.put_object(Bucket=self.bucket, Key='plain', Body=b'abc')
        from test.functional.base import client
        s3 = client(parameter_validation=False)
        self.assertS3Error('InvalidArgument', 400,
                           s3.get_object_attributes,
                           Bucket=self.bucket, Key='plain',
                           ObjectAttributes=['Bogus'])
