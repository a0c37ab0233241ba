"""Bad input gets AWS's error, never a 500, and writes nothing."""

from swift3_multipart import layout
from test.functional.base import BucketTestCase, client, raw_request, \
    MIN_PART


class TestErrors(BucketTestCase):
    def setUp(self):
        super().setUp()
        self.upload_id = self.create()

    def test_bad_part_numbers(self):
        # without client-side validation, as a hand-made request would be
        s3 = client(parameter_validation=False)
        for number in (0, 10001, -1, 'abc'):
            err = self.assertS3Error(
                'InvalidArgument', 400, s3.upload_part, Bucket=self.bucket,
                Key='obj', UploadId=self.upload_id, PartNumber=number,
                Body=b'x')
            self.assertIn('between 1 and 10000', str(err))
        self.assertEqual(self.just_created('obj', self.upload_id),
                         self.segments())

    def test_unknown_upload_id(self):
        for upload_id in ('nope', 'a/b', '..', 'caf\u00e9'):
            self.assertS3Error('NoSuchUpload', 404, self.s3.upload_part,
                               Bucket=self.bucket, Key='obj',
                               UploadId=upload_id, PartNumber=1, Body=b'x')
            self.assertS3Error('NoSuchUpload', 404, self.s3.list_parts,
                               Bucket=self.bucket, Key='obj',
                               UploadId=upload_id)
        self.assertEqual(self.just_created('obj', self.upload_id),
                         self.segments())

    def test_no_such_bucket(self):
        self.assertS3Error('NoSuchBucket', 404,
                           self.s3.create_multipart_upload,
                           Bucket=self.bucket + 'x', Key='obj')
        self.assertS3Error('NoSuchBucket', 404, self.s3.upload_part,
                           Bucket=self.bucket + 'x', Key='obj',
                           UploadId=self.upload_id, PartNumber=1, Body=b'x')

    def test_invalid_part(self):
        part = self.upload(self.upload_id, 1, b'x' * MIN_PART)
        self.assertS3Error('InvalidPart', 400, self.complete, self.upload_id,
                           [part, {'PartNumber': 2, 'ETag': part['ETag']}])
        self.assertS3Error('InvalidPart', 400, self.complete, self.upload_id,
                           [{'PartNumber': 1, 'ETag': '"%s"' % ('0' * 32)}])

    def test_invalid_part_order(self):
        one = self.upload(self.upload_id, 1, b'x' * MIN_PART)
        two = self.upload(self.upload_id, 2, b'y' * MIN_PART)
        self.assertS3Error('InvalidPartOrder', 400, self.complete,
                           self.upload_id, [two, one])

    def test_repeated_part_number(self):
        """A part list that repeats a part number is InvalidPartOrder, as
        real S3 answers (clients that resend a part must dedupe).
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
        """
        one = self.upload(self.upload_id, 1, b'x' * MIN_PART)
        two = self.upload(self.upload_id, 2, b'y')
        self.assertS3Error('InvalidPartOrder', 400, self.complete,
                           self.upload_id, [one, one, two])

    def test_composite_needs_every_part_checksum(self):
        """A COMPOSITE upload's Complete must carry each part's checksum:
        "It was missing for part 1 in the request", InvalidRequest."""
        upload_id = self.s3.create_multipart_upload(
            Bucket=self.bucket, Key='sums', ChecksumAlgorithm='SHA256')[
                'UploadId']
        got = self.s3.upload_part(
            Bucket=self.bucket, Key='sums', UploadId=upload_id,
            PartNumber=1, Body=b'z', ChecksumAlgorithm='SHA256')
        err = self.assertS3Error(
            'InvalidRequest', 400, self.s3.complete_multipart_upload,
            Bucket=self.bucket, Key='sums', UploadId=upload_id,
            MultipartUpload={'Parts': [
                {'PartNumber': 1, 'ETag': got['ETag']}]})
        self.assertIn('missing for part 1', err.response['Error']['Message'])

    def test_entity_too_small(self):
        one = self.upload(self.upload_id, 1, b'x' * (MIN_PART - 1))
        two = self.upload(self.upload_id, 2, b'y')
        self.assertS3Error('EntityTooSmall', 400, self.complete,
                           self.upload_id, [one, two])
        # nothing was written: the upload goes on
        self.assertEqual(2, len(self.s3.list_parts(
            Bucket=self.bucket, Key='obj', UploadId=self.upload_id)['Parts']))

    def test_malformed_complete_bodies(self):
        self.upload(self.upload_id, 1, b'x')
        path = '/%s/obj?uploadId=%s' % (self.bucket, self.upload_id)
        status, _, resp_body = raw_request('POST', path, b'')
        self.assertEqual(400, status, resp_body)
        # AWS for no body at all, as for one without parts (stock s3api:
        # InvalidRequest; issue 12 item 6)
        self.assertIn(b'<Code>MalformedXML</Code>', resp_body)
        for body in (b'<not xml', b'<CompleteMultipartUpload/>',
                     b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">'
                     b']><CompleteMultipartUpload><Part><PartNumber>1'
                     b'</PartNumber><ETag>&a;</ETag></Part>'
                     b'</CompleteMultipartUpload>',
                     b'<CompleteMultipartUpload>' + b' ' * (3 * 1024 * 1024)
                     + b'</CompleteMultipartUpload>'):
            status, _, resp_body = raw_request('POST', path, body)
            self.assertEqual(400, status, resp_body)
            self.assertIn(b'<Code>MalformedXML</Code>', resp_body)
        self.assertS3Error('NoSuchKey', 404, self.read)
        self.assertEqual(1, len(self.s3.list_parts(
            Bucket=self.bucket, Key='obj', UploadId=self.upload_id)['Parts']))

    def test_key_too_long_for_parts(self):
        key = 'k' * 1000
        err = self.assertS3Error('KeyTooLongError', 400,
                                 self.s3.create_multipart_upload,
                                 Bucket=self.bucket, Key=key)
        # <key>/<upload id>/<5 digits>/<21 digits>: 62 bytes after the key
        # (stock's layout: <key>/<48>/<5 digits>, 55)
        self.assertIn('keys of up to %d bytes' % (
            1024 - (62 if layout.is_ours(self.upload_id) else 55)), str(err))


class TestRefused(BucketTestCase):
    """Headers we cannot honour get an error, never silent acceptance.

    https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html
    """

    def test_sse_c_refused(self):
        key = b'k' * 32
        self.assertS3Error('NotImplemented', 501,
                           self.s3.create_multipart_upload,
                           Bucket=self.bucket, Key='obj',
                           SSECustomerAlgorithm='AES256', SSECustomerKey=key)
        upload_id = self.create()
        self.assertS3Error('NotImplemented', 501, self.s3.upload_part,
                           Bucket=self.bucket, Key='obj', UploadId=upload_id,
                           PartNumber=1, Body=b'x',
                           SSECustomerAlgorithm='AES256', SSECustomerKey=key)
        self.assertEqual(self.just_created('obj', upload_id),
                         self.segments())

    def test_storage_class_and_lock(self):
        self.assertS3Error('InvalidStorageClass', 400,
                           self.s3.create_multipart_upload,
                           Bucket=self.bucket, Key='obj',
                           StorageClass='GLACIER')
        self.assertS3Error('NotImplemented', 501,
                           self.s3.create_multipart_upload,
                           Bucket=self.bucket, Key='obj',
                           ObjectLockLegalHoldStatus='ON')
        self.assertEqual([], self.segments())
