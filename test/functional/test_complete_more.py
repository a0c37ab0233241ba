"""Conditional Complete, x-amz-mp-object-size and versioned buckets.

https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
"""

import os
import time
from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError

from test.functional import figures
from test.functional.base import BucketTestCase, MIN_PART, \
    aws_multipart_etag, error_code, client
from test.functional.figures import print_figures  # noqa: F401


class TestCompleteConditions(BucketTestCase):
    def assertRefused(self, upload_id, parts, **condition):
        """The conditional Complete answers 412 and writes nothing."""
        before = self.s3.list_objects_v2(Bucket=self.bucket).get(
            'Contents')
        self.assertS3Error(
            'PreconditionFailed', 412, self.s3.complete_multipart_upload,
            Bucket=self.bucket, Key='obj', UploadId=upload_id,
            MultipartUpload={'Parts': parts}, **condition)
        self.assertEqual(before, self.s3.list_objects_v2(
            Bucket=self.bucket).get('Contents'))

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
        self.assertRefused(upload_id, parts, IfNoneMatch='*')
        self.assertEqual(b''.join(data), self.read())
        # the upload is still there to complete without the condition
        self.complete(upload_id, parts)

    def test_if_match(self):
        self.s3.put_object(Bucket=self.bucket, Key='obj', Body=b'first')
        etag = self.s3.head_object(Bucket=self.bucket, Key='obj')['ETag']
        upload_id, parts, data = self.upload_two()
        self.assertRefused(upload_id, parts, IfMatch='"%s"' % ('0' * 32))
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

    def test_if_none_match_etag(self):
        """
        If-None-Match with an ETag (beyond AWS's documentation; Ceph RGW
        does it, issue 12 item 8): 412 when the current object has it, the
        upload stays; another ETag completes.
        """
        self.s3.put_object(Bucket=self.bucket, Key='obj', Body=b'first')
        etag = self.s3.head_object(Bucket=self.bucket, Key='obj')['ETag']
        upload_id, parts, data = self.upload_two()
        self.assertRefused(upload_id, parts, IfNoneMatch=etag)
        self.assertEqual(b'first', self.read())
        result = self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key='obj', UploadId=upload_id,
            IfNoneMatch='"%s"' % ('0' * 32), MultipartUpload={'Parts': parts})
        self.assertEqual(aws_multipart_etag(data), result['ETag'])
        self.assertEqual(b''.join(data), self.read())
        # and the multipart object's own ETag is compared as S3 shows it
        upload_id, parts, _ = self.upload_two()
        self.assertRefused(upload_id, parts, IfNoneMatch=result['ETag'])
        self.assertEqual(b''.join(data), self.read())

    def test_writes_racing_a_conditional_complete(self):
        """
        PutObject of the key racing a Complete with If-None-Match: *: the
        Complete answers 200, 412 (the object was there first) or 409
        ConditionalRequestConflict (it came between the check and the
        write, issue 12 item 10), never anything else, and the key then
        holds one of the two objects, whole.
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
        """
        outcomes = {}
        put_client = client()
        # the PutObject starts this long after the Complete (before it, if
        # negative): around the Complete's own time, so that either may
        # come first, or land between the other's check and write
        for trial, offset in enumerate((-0.03, -0.01, 0, 0.005, 0.01, 0.02,
                                        0.03, 0.04, 0.06, 0.08)):
            key = 'race-%d' % trial
            upload_id, parts, data = self.upload_two(key)
            with ThreadPoolExecutor(2) as pool:
                def complete(delay=max(0, -offset)):
                    time.sleep(delay)
                    return self.s3.complete_multipart_upload(
                        Bucket=self.bucket, Key=key, UploadId=upload_id,
                        IfNoneMatch='*', MultipartUpload={'Parts': parts})

                def put(delay=max(0, offset)):
                    time.sleep(delay)
                    return put_client.put_object(Bucket=self.bucket,
                                                 Key=key, Body=b'put')
                done = pool.submit(complete)
                pool.submit(put).result()
                try:
                    done.result()
                    outcome = 'OK'
                except ClientError as err:
                    outcome = error_code(err)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            self.assertIn(outcome, ('OK', 'PreconditionFailed',
                                    'ConditionalRequestConflict'))
            self.assertIn(self.read(key), (b''.join(data), b'put'))
        figures.record('races', 'conditional Complete (If-None-Match: *) '
                       'vs PutObject: %d trials; outcomes %s' % (
                           sum(outcomes.values()), ', '.join(
                               '%s %d' % kv for kv in sorted(
                                   outcomes.items()))))

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

    def test_conditions_compare_the_current_version(self):
        """If-Match / If-None-Match in a versioned bucket: the current
        version is the one compared (issue 12 item 8)."""
        self.s3.put_bucket_versioning(
            Bucket=self.bucket,
            VersioningConfiguration={'Status': 'Enabled'})
        self.addCleanup(self.delete_versions)
        old = self.s3.put_object(Bucket=self.bucket, Key='obj',
                                 Body=b'old')['ETag']
        new = self.s3.put_object(Bucket=self.bucket, Key='obj',
                                 Body=b'new')['ETag']
        upload_id = self.create()
        parts = [self.upload(upload_id, 1, b'mpu')]
        for condition in ({'IfMatch': old}, {'IfNoneMatch': new}):
            self.assertS3Error(
                'PreconditionFailed', 412, self.s3.complete_multipart_upload,
                Bucket=self.bucket, Key='obj', UploadId=upload_id,
                MultipartUpload={'Parts': parts}, **condition)
        self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key='obj', UploadId=upload_id, IfMatch=new,
            IfNoneMatch=old, MultipartUpload={'Parts': parts})
        self.assertEqual(b'mpu', self.read())

    def delete_versions(self):
        listed = self.s3.list_object_versions(Bucket=self.bucket)
        for v in listed.get('Versions', []) + listed.get('DeleteMarkers', []):
            self.s3.delete_object(Bucket=self.bucket, Key=v['Key'],
                                  VersionId=v['VersionId'])
