"""Conditional Complete, x-amz-mp-object-size and versioned buckets.

https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
"""

import os

from test.functional.base import BucketTestCase, MIN_PART, \
    aws_multipart_etag


class TestCompleteConditions(BucketTestCase):
    def upload_two(self, key='obj'):
        upload_id = self.create(key)
        data = [os.urandom(MIN_PART), b'end']
        parts = [self.upload(upload_id, n + 1, d, key=key)
                 for n, d in enumerate(data)]
        return upload_id, parts, data

    def test_if_none_match_star(self):
        upload_id, parts, data = self.upload_two()
        self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key='obj', UploadId=upload_id,
            IfNoneMatch='*', MultipartUpload={'Parts': parts})
        upload_id, parts, _ = self.upload_two()
        self.assertS3Error(
            'PreconditionFailed', 412, self.s3.complete_multipart_upload,
            Bucket=self.bucket, Key='obj', UploadId=upload_id,
            IfNoneMatch='*', MultipartUpload={'Parts': parts})
        self.assertEqual(b''.join(data), self.read())
        # the upload is still there to complete without the condition
        self.complete(upload_id, parts)

    def test_if_match(self):
        self.s3.put_object(Bucket=self.bucket, Key='obj', Body=b'first')
        etag = self.s3.head_object(Bucket=self.bucket, Key='obj')['ETag']
        upload_id, parts, data = self.upload_two()
        self.assertS3Error(
            'PreconditionFailed', 412, self.s3.complete_multipart_upload,
            Bucket=self.bucket, Key='obj', UploadId=upload_id,
            IfMatch='"%s"' % ('0' * 32), MultipartUpload={'Parts': parts})
        self.assertEqual(b'first', self.read())
        result = self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key='obj', UploadId=upload_id, IfMatch=etag,
            MultipartUpload={'Parts': parts})
        self.assertEqual(aws_multipart_etag(data), result['ETag'])
        self.assertEqual(b''.join(data), self.read())

    def test_if_match_missing_key(self):
        upload_id, parts, _ = self.upload_two()
        self.assertS3Error(
            'NoSuchKey', 404, self.s3.complete_multipart_upload,
            Bucket=self.bucket, Key='obj', UploadId=upload_id,
            IfMatch='"%s"' % ('0' * 32), MultipartUpload={'Parts': parts})

    def test_mp_object_size(self):
        upload_id, parts, data = self.upload_two()
        size = len(b''.join(data))
        self.assertS3Error(
            'InvalidRequest', 400, self.s3.complete_multipart_upload,
            Bucket=self.bucket, Key='obj', UploadId=upload_id,
            MpuObjectSize=size + 1, MultipartUpload={'Parts': parts})
        self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key='obj', UploadId=upload_id,
            MpuObjectSize=size, MultipartUpload={'Parts': parts})
        self.assertEqual(b''.join(data), self.read())


class TestVersionedComplete(BucketTestCase):
    def test_complete_returns_version_id(self):
        self.s3.put_bucket_versioning(
            Bucket=self.bucket,
            VersioningConfiguration={'Status': 'Enabled'})
        self.addCleanup(self.delete_versions)
        versions = []
        for body in (b'one', b'two'):
            upload_id = self.create()
            parts = [self.upload(upload_id, 1, body)]
            result = self.complete(upload_id, parts)
            self.assertIn('VersionId', result)
            versions.append(result['VersionId'])
            got = self.s3.get_object(Bucket=self.bucket, Key='obj')
            self.assertEqual(result['VersionId'], got['VersionId'])
            self.assertEqual(body, got['Body'].read())
        self.assertNotEqual(versions[0], versions[1])
        old = self.s3.get_object(Bucket=self.bucket, Key='obj',
                                 VersionId=versions[0])
        self.assertEqual(b'one', old['Body'].read())
        listed = self.s3.list_object_versions(Bucket=self.bucket)
        self.assertEqual(sorted(versions), sorted(
            v['VersionId'] for v in listed['Versions']))

    def delete_versions(self):
        listed = self.s3.list_object_versions(Bucket=self.bucket)
        for v in listed.get('Versions', []) + listed.get('DeleteMarkers', []):
            self.s3.delete_object(Bucket=self.bucket, Key=v['Key'],
                                  VersionId=v['VersionId'])
