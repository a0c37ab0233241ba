"""GetObjectAttributes on multipart and plain objects.

https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html
"""

import os

from test.functional.base import BucketTestCase, MIN_PART, \
    aws_multipart_etag


class TestObjectAttributes(BucketTestCase):
    def test_multipart_object(self):
        """Uploaded without a checksum: ObjectParts holds the parts' count
        alone, as AWS answers (issue 12 item 11)."""
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
        self.assertEqual({'TotalPartsCount': 3}, got['ObjectParts'])
        page = self.s3.get_object_attributes(
            Bucket=self.bucket, Key='obj', ObjectAttributes=['ObjectParts'],
            MaxParts=1, PartNumberMarker=1)
        self.assertEqual({'TotalPartsCount': 3}, page['ObjectParts'])

    def test_parts_with_checksums(self):
        """Uploaded with a checksum: each part, its size and its own
        checksum, paged (issue 12 item 11)."""
        data = [os.urandom(MIN_PART), os.urandom(MIN_PART), b'end']
        upload_id = self.s3.create_multipart_upload(
            Bucket=self.bucket, Key='obj', ChecksumAlgorithm='SHA256')[
                'UploadId']
        parts = [self.s3.upload_part(
            Bucket=self.bucket, Key='obj', UploadId=upload_id, PartNumber=n,
            Body=d, ChecksumAlgorithm='SHA256')
            for n, d in enumerate(data, 1)]
        self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key='obj', UploadId=upload_id,
            MultipartUpload={'Parts': [
                {'PartNumber': n, 'ETag': p['ETag'],
                 'ChecksumSHA256': p['ChecksumSHA256']}
                for n, p in enumerate(parts, 1)]})
        got = self.s3.get_object_attributes(
            Bucket=self.bucket, Key='obj',
            ObjectAttributes=['ObjectParts', 'Checksum'])
        self.assertEqual(3, got['ObjectParts']['TotalPartsCount'])
        self.assertEqual([(n, len(d), p['ChecksumSHA256'])
                          for n, (d, p) in enumerate(zip(data, parts), 1)],
                         [(p['PartNumber'], p['Size'], p['ChecksumSHA256'])
                          for p in got['ObjectParts']['Parts']])
        self.assertFalse(got['ObjectParts']['IsTruncated'])
        self.assertEqual('COMPOSITE', got['Checksum']['ChecksumType'])
        page = self.s3.get_object_attributes(
            Bucket=self.bucket, Key='obj', ObjectAttributes=['ObjectParts'],
            MaxParts=1, PartNumberMarker=1)
        self.assertTrue(page['ObjectParts']['IsTruncated'])
        self.assertEqual([(2, parts[1]['ChecksumSHA256'])], [
            (p['PartNumber'], p['ChecksumSHA256'])
            for p in page['ObjectParts']['Parts']])

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
