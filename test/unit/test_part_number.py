"""GET/HEAD ?partNumber=N of a completed multipart object.

https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
"""

from test.unit.base import MultipartTestCase, OBJ

# an object completed with parts 1, 3 and 7: three segments
PART_TWO = {'X-Static-Large-Object': 'true', 'X-Parts-Count': '3',
            'Content-Length': '5', 'Content-Range': 'bytes 5-9/15',
            'Etag': '"slo"', 'X-Object-Sysmeta-S3api-Etag': 'abc-3'}


class TestPartNumber(MultipartTestCase):
    def test_part_number_is_a_position(self):
        """
        partNumber=2 is the object's second part (the one uploaded as
        part 3): SLO's part-number counts segments, and we pass the number
        through untranslated (why: controllers/obj.py).
        """
        self.swift.register('GET', OBJ + '?part-number=2', 206, PART_TWO,
                            b'part3')
        self.swift.register('HEAD', OBJ + '?part-number=2', 206, PART_TWO)
        for method in ('GET', 'HEAD'):
            self.swift.calls[:] = []
            resp = self.call(method, '/bucket/obj?partNumber=2')
            self.assertEqual(206, resp.status_int, resp.body)
            self.assertEqual([
                (method, OBJ + '?part-number=2'),    # SLO picks segment 2
            ], self.swift.calls)
            self.assertEqual('3', resp.headers['x-amz-mp-parts-count'])
            self.assertEqual('bytes 5-9/15', resp.headers['Content-Range'])
            self.assertEqual('"abc-3"', resp.headers['Etag'])
            if method == 'GET':
                self.assertEqual(b'part3', resp.body)
        self.assertEqual(b'', resp.body)   # HEAD

    def test_past_the_last_position(self):
        self.swift.register('GET', OBJ + '?part-number=4', 416, {
            'X-Static-Large-Object': 'true', 'X-Parts-Count': '3',
            'Content-Range': 'bytes */15'})
        resp = self.call('GET', '/bucket/obj?partNumber=4')
        self.assertS3Error(resp, 416, 'InvalidPartNumber')
        self.assertEqual([('GET', OBJ + '?part-number=4')], self.swift.calls)
