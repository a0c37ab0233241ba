"""Tests of uploads of our layout (``upload_layout = immutable``, the
default: the session SAIO's), shared by modules that run them on other
SAIOs too (:func:`use_saio`: s3_acl on, object servers slow to commit).
"""

from swift3_multipart import layout
from test.functional import extra_saio
from test.functional.base import BucketTestCase, MIN_PART, access_key, \
    client


def use_saio(name, offset, saio_options=None, expected_log=None,
             **s3api_options):
    """:func:`extra_saio.module_saio` of a SAIO of our layout (the
    default, said explicitly)."""
    return extra_saio.module_saio(
        name, offset, saio_options=saio_options, expected_log=expected_log,
        upload_layout='immutable', **s3api_options)


class OurUploads(BucketTestCase):
    """What a client does with uploads of our layout, through boto3."""

    def test_upload_complete_read(self):
        key = 'k/\u00e9 x'
        upload_id = self.create(key, ContentType='text/x-mine',
                                Metadata={'color': 'blue'})
        self.assertTrue(layout.is_ours(upload_id), upload_id)
        data = {1: b'a' * MIN_PART, 2: b'b' * MIN_PART, 3: b'c' * 10}
        parts = [self.upload(upload_id, n, data[n], key=key)
                 for n in (1, 2, 3)]
        # part 2 again: the newest attempt is the part
        data[2] = b'B' * MIN_PART
        parts[1] = self.upload(upload_id, 2, data[2], key=key)
        listed = self.s3.list_parts(Bucket=self.bucket, Key=key,
                                    UploadId=upload_id)['Parts']
        self.assertEqual([(p['PartNumber'], p['ETag']) for p in parts],
                         [(p['PartNumber'], p['ETag']) for p in listed])
        uploads = self.s3.list_multipart_uploads(
            Bucket=self.bucket)['Uploads']
        self.assertEqual([(key, upload_id)],
                         [(u['Key'], u['UploadId']) for u in uploads])
        done = self.complete(upload_id, parts, key=key)
        # a retry answers as the first
        self.assertEqual(done['ETag'], self.complete(
            upload_id, parts, key=key)['ETag'])
        got = self.s3.get_object(Bucket=self.bucket, Key=key)
        self.assertEqual(data[1] + data[2] + data[3], got['Body'].read())
        self.assertEqual('text/x-mine', got['ContentType'])
        self.assertEqual({'color': 'blue'}, got['Metadata'])
        self.assertEqual(done['ETag'], got['ETag'])
        self.assertNotIn('Uploads', self.s3.list_multipart_uploads(
            Bucket=self.bucket))
        # UploadPart and Abort after Complete change nothing
        self.assertS3Error('NoSuchUpload', 404, self.upload, upload_id, 2,
                           b'x' * MIN_PART, key=key)
        self.assertS3Error('NoSuchUpload', 404,
                           self.s3.abort_multipart_upload, Bucket=self.bucket,
                           Key=key, UploadId=upload_id)
        self.assertEqual(data[1] + data[2] + data[3], self.read(key))
        # the older attempt of part 2 stays until the reaper's sweep that
        # Complete queued (sweep_delay on); then only the three the
        # manifest names (an Abort of a completed upload writes nothing)

        def numbers():
            return self.stored_parts()[(key, upload_id)]
        self.assertEqual([1, 2, 2, 3], numbers())
        self.assertGreaterEqual(self.reap(later=3700)['gone'], 1)
        self.assertEqual([1, 2, 3], numbers())
        self.assertEqual(data[1] + data[2] + data[3], self.read(key))

    def test_abort(self):
        upload_id = self.create('x')
        self.upload(upload_id, 1, b'z' * 100, key='x')
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key='x',
                                       UploadId=upload_id)
        self.assertS3Error('NoSuchUpload', 404, self.s3.list_parts,
                           Bucket=self.bucket, Key='x', UploadId=upload_id)
        self.assertS3Error('NoSuchUpload', 404,
                           self.s3.abort_multipart_upload, Bucket=self.bucket,
                           Key='x', UploadId=upload_id)
        self.assertS3Error('NoSuchUpload', 404, self.upload, upload_id, 1,
                           b'z' * 100, key='x')
        self.assertS3Error('NoSuchUpload', 404, self.complete, upload_id,
                           [], key='x')
        # only the abort record is left
        self.assertEqual([layout.abort_record_name('x', upload_id)],
                         self.segments())

    def test_list_uploads_needs_read(self):
        upload_id = self.create('listed')
        self.assertEqual([upload_id], [
            u['UploadId'] for u in self.s3.list_multipart_uploads(
                Bucket=self.bucket)['Uploads']])
        # a user of the account with no grant on the bucket
        self.assertS3Error('AccessDenied', 403,
                           client(access_key('tester2')
                                  ).list_multipart_uploads,
                           Bucket=self.bucket)

    def test_stock_proxy_beside_ours(self):
        """A rolling upgrade: a stock proxy over the same data refuses to
        touch our uploads, reads and deletes what they complete into."""
        stock = client(proxy='stock')
        upload_id = self.create('mixed')
        part = self.upload(upload_id, 1, b'm' * MIN_PART, key='mixed')
        for call in (
                lambda: self.upload(upload_id, 1, b'x' * MIN_PART,
                                    key='mixed', s3=stock),
                lambda: stock.list_parts(Bucket=self.bucket, Key='mixed',
                                         UploadId=upload_id),
                lambda: self.complete(upload_id, [part], key='mixed',
                                      s3=stock),
                lambda: stock.abort_multipart_upload(
                    Bucket=self.bucket, Key='mixed', UploadId=upload_id)):
            self.assertS3Error('NoSuchUpload', 404, call)
        self.complete(upload_id, [part], key='mixed')
        self.assertEqual(b'm' * MIN_PART, stock.get_object(
            Bucket=self.bucket, Key='mixed')['Body'].read())
        stock.delete_object(Bucket=self.bucket, Key='mixed')
        self.assertS3Error('NoSuchKey', 404, self.read, 'mixed')
