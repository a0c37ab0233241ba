"""GET/HEAD ?partNumber=N of completed multipart and plain objects.

https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
"""

from test.functional.base import BucketTestCase, MIN_PART


class TestPartNumber(BucketTestCase):
    def setUp(self):
        super().setUp()
        self.data = [b'a' * MIN_PART, b'b' * MIN_PART, b'c']
        upload_id = self.create()
        parts = [self.upload(upload_id, n + 1, d)
                 for n, d in enumerate(self.data)]
        self.complete(upload_id, parts)
        self.s3.put_object(Bucket=self.bucket, Key='plain', Body=b'plain')

    def test_part_of_multipart_object(self):
        total = len(b''.join(self.data))
        for method in (self.s3.get_object, self.s3.head_object):
            got = method(Bucket=self.bucket, Key='obj', PartNumber=2)
            self.assertEqual(206, got['ResponseMetadata']['HTTPStatusCode'])
            self.assertEqual('bytes %d-%d/%d' % (
                MIN_PART, 2 * MIN_PART - 1, total), got['ContentRange'])
            self.assertEqual(3, got['PartsCount'])
            self.assertEqual(MIN_PART, got['ContentLength'])
        got = self.s3.get_object(Bucket=self.bucket, Key='obj', PartNumber=3)
        self.assertEqual(b'c', got['Body'].read())

    def test_past_last_part(self):
        self.assertS3Error('InvalidPartNumber', 416, self.s3.get_object,
                           Bucket=self.bucket, Key='obj', PartNumber=4)
        self.assertS3Error('InvalidPartNumber', 416, self.s3.get_object,
                           Bucket=self.bucket, Key='plain', PartNumber=2)

    def test_with_range(self):
        self.assertS3Error('InvalidRequest', 400, self.s3.get_object,
                           Bucket=self.bucket, Key='obj', PartNumber=1,
                           Range='bytes=0-1')

    def test_plain_object_part_one(self):
        got = self.s3.get_object(Bucket=self.bucket, Key='plain',
                                 PartNumber=1)
        self.assertEqual(206, got['ResponseMetadata']['HTTPStatusCode'])
        self.assertEqual('bytes 0-4/5', got['ContentRange'])
        self.assertEqual(b'plain', got['Body'].read())


class TestPartNumberGaps(BucketTestCase):
    """
    An object completed with parts 1, 3 and 7: partNumber and ObjectParts
    count positions, not the numbers parts were uploaded with (why:
    swift3_multipart/controllers/obj.py).
    """

    def setUp(self):
        super().setUp()
        self.data = [b'a' * MIN_PART, b'b' * MIN_PART, b'c']
        upload_id = self.create()
        parts = [self.upload(upload_id, number, d)
                 for number, d in zip((1, 3, 7), self.data)]
        self.complete(upload_id, parts)

    def test_part_number_is_a_position(self):
        total = len(b''.join(self.data))
        for position, data in enumerate(self.data, 1):
            got = self.s3.get_object(Bucket=self.bucket, Key='obj',
                                     PartNumber=position)
            self.assertEqual(data, got['Body'].read())
            self.assertEqual(3, got['PartsCount'])
            start = (position - 1) * MIN_PART
            self.assertEqual('bytes %d-%d/%d' % (
                start, start + len(data) - 1, total), got['ContentRange'])
        head = self.s3.head_object(Bucket=self.bucket, Key='obj',
                                   PartNumber=2)
        self.assertEqual(3, head['PartsCount'])
        self.assertEqual(MIN_PART, head['ContentLength'])

    def test_original_numbers_past_the_count(self):
        for number in (4, 7):
            self.assertS3Error('InvalidPartNumber', 416, self.s3.get_object,
                               Bucket=self.bucket, Key='obj',
                               PartNumber=number)

    def test_object_parts_counted(self):
        # (without a checksum AWS lists no Part, only the count; uploads
        # with one have no gaps, so position and number agree)
        got = self.s3.get_object_attributes(
            Bucket=self.bucket, Key='obj', ObjectAttributes=['ObjectParts'])
        self.assertEqual({'TotalPartsCount': 3}, got['ObjectParts'])
