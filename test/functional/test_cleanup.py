"""No bytes left behind by Complete, Abort and overwrites.

https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html
"""

import io
import os

from test.functional import extra_saio
from test.functional.base import BucketTestCase, MIN_PART, saio

# uploads of s3api's layout: the first phase of a rolling upgrade, and
# those a stock proxy began (our layout: test_our_layout.py)
setUpModule, tearDownModule = extra_saio.stock_layout()


class TestCleanup(BucketTestCase):
    def mpu(self, key='obj', numbers=(1, 2), complete=(1, 2)):
        upload_id = self.create(key)
        parts = {n: self.upload(upload_id, n, os.urandom(MIN_PART), key=key)
                 for n in numbers}
        if complete:
            self.complete(upload_id, [parts[n] for n in complete], key=key)
        return upload_id

    def test_complete_frees_parts_left_out(self):
        upload_id = self.mpu(numbers=(1, 2, 3), complete=(1, 3))
        self.assertEqual(sorted('obj/%s/%d' % (upload_id, n) for n in (1, 3)),
                         sorted(self.segments()))
        self.assertEqual(2 * MIN_PART, len(self.read()))

    def test_complete_over_multipart_object(self):
        self.mpu()
        second = self.mpu()
        self.assertEqual(sorted('obj/%s/%d' % (second, n) for n in (1, 2)),
                         sorted(self.segments()))
        self.assertEqual(2 * MIN_PART, len(self.read()))

    def test_put_and_copy_over_multipart_object(self):
        self.mpu()
        self.s3.put_object(Bucket=self.bucket, Key='obj', Body=b'plain')
        self.assertEqual([], self.segments())
        self.mpu()
        self.s3.put_object(Bucket=self.bucket, Key='src', Body=b'source')
        self.s3.copy_object(Bucket=self.bucket, Key='obj',
                            CopySource={'Bucket': self.bucket, 'Key': 'src'})
        self.assertEqual([], self.segments())
        self.assertEqual(b'source', self.read())

    def test_other_keys_untouched(self):
        other = self.mpu('other')
        in_progress = self.mpu('busy', numbers=(1,), complete=())
        self.mpu()
        self.s3.put_object(Bucket=self.bucket, Key='obj', Body=b'plain')
        self.assertEqual(sorted(
            ['other/%s/%d' % (other, n) for n in (1, 2)] +
            ['busy/%s' % in_progress, 'busy/%s/1' % in_progress]),
            sorted(self.segments()))
        self.assertEqual(2 * MIN_PART, len(self.read('other')))

    def test_versioned_bucket_keeps_old_versions_whole(self):
        self.s3.put_bucket_versioning(
            Bucket=self.bucket,
            VersioningConfiguration={'Status': 'Enabled'})
        self.addCleanup(self.delete_versions)
        self.mpu()
        first = self.s3.head_object(Bucket=self.bucket, Key='obj')
        self.s3.put_object(Bucket=self.bucket, Key='obj', Body=b'plain')
        old = self.s3.get_object(Bucket=self.bucket, Key='obj',
                                 VersionId=first['VersionId'])
        self.assertEqual(2 * MIN_PART, len(old['Body'].read()))

    def delete_versions(self):
        listed = self.s3.list_object_versions(Bucket=self.bucket)
        for v in listed.get('Versions', []) + listed.get('DeleteMarkers', []):
            self.s3.delete_object(Bucket=self.bucket, Key=v['Key'],
                                  VersionId=v['VersionId'])

    def straggler(self, upload_id):
        """Name of a part that an UploadPart racing an Abort wrote after
        it."""
        return 'obj/%s/7' % upload_id

    def left_by_abort(self, upload_id):
        """What the segments container keeps of an aborted upload."""
        return []

    def test_repeated_abort_frees_stragglers(self):
        upload_id = self.mpu(numbers=(1,), complete=())
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key='obj',
                                       UploadId=upload_id)
        late = self.straggler(upload_id)
        ic = saio().internal_client()
        account = saio().env()['accounts']['test:tester']
        ic.upload_object(io.BytesIO(b'late'), account,
                         self.bucket + '+segments', late,
                         {'Content-Length': '4'})
        left = self.left_by_abort(upload_id)
        self.assertEqual(sorted(left + [late]), self.segments())
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key='obj',
                                       UploadId=upload_id)
        self.assertEqual(left, self.segments())
        self.assertS3Error('NoSuchUpload', 404,
                           self.s3.abort_multipart_upload,
                           Bucket=self.bucket, Key='obj', UploadId=upload_id)


class TestEveryPathFrees(BucketTestCase):
    """
    Every write or delete that ends a completed multipart object frees its
    parts, on either layout and under s3_acl too (with s3_acl the segments
    of PutObject and CopyObject stayed for good, issue 12 item 2):
    PutObject, CopyObject, DeleteObject, DeleteObjects and a Complete of
    another upload over it.
    """

    def completed(self, key='obj'):
        upload_id = self.create(key)
        parts = [self.upload(upload_id, 1, os.urandom(4000), key=key),
                 self.upload(upload_id, 2, os.urandom(1000), key=key)]
        self.complete(upload_id, parts, key=key)
        self.assertEqual([1, 2], self.stored_parts()[(key, upload_id)])
        return upload_id

    def assertNothingStored(self):
        self.assertEqual({}, self.stored_parts())
        self.assertEqual([], [n for n in self.live_segments()
                              if '/' in n])

    def test_put_object(self):
        self.completed()
        self.s3.put_object(Bucket=self.bucket, Key='obj', Body=b'plain')
        self.assertNothingStored()
        self.assertEqual(b'plain', self.read())

    def test_copy_object(self):
        self.s3.put_object(Bucket=self.bucket, Key='src', Body=b'source')
        self.completed()
        self.s3.copy_object(Bucket=self.bucket, Key='obj',
                            CopySource={'Bucket': self.bucket, 'Key': 'src'})
        self.assertNothingStored()
        self.assertEqual(b'source', self.read())

    def test_delete_object(self):
        self.completed()
        self.s3.delete_object(Bucket=self.bucket, Key='obj')
        # (s3api has SLO free the segments through the object-expirer)
        self.expirer_pass()
        self.assertNothingStored()
        self.assertS3Error('NoSuchKey', 404, self.read)

    def test_delete_objects(self):
        self.completed('a')
        self.completed('b')
        result = self.s3.delete_objects(Bucket=self.bucket, Delete={
            'Objects': [{'Key': 'a'}, {'Key': 'b'}]})
        self.assertEqual(['a', 'b'], sorted(d['Key']
                                            for d in result['Deleted']))
        self.assertNotIn('Errors', result)
        self.expirer_pass()
        self.assertNothingStored()

    def test_complete_over_it(self):
        self.completed()
        upload_id = self.create()
        part = self.upload(upload_id, 1, b'second')
        self.complete(upload_id, [part])
        self.assertEqual({('obj', upload_id): [1]}, self.stored_parts())
        self.assertEqual(b'second', self.read())
