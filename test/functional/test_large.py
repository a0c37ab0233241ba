"""Large uploads: the AWS CLI with 100 MiB, and 10,000 parts."""

import hashlib
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

from test.functional.base import BucketTestCase, client, saio, MIB, \
    MIN_PART, aws_multipart_etag


class TestAwsCli(BucketTestCase):
    def aws(self, *args):
        env = dict(os.environ)
        info = saio().env()
        env.update({'AWS_ACCESS_KEY_ID': 'test:tester',
                    'AWS_SECRET_ACCESS_KEY': info['users']['test:tester'],
                    'AWS_DEFAULT_REGION': info['region'],
                    'AWS_CONFIG_FILE': os.devnull,
                    'AWS_SHARED_CREDENTIALS_FILE': os.devnull})
        aws = os.path.join(os.path.dirname(sys.executable), 'aws')
        return subprocess.run(
            [aws, '--endpoint-url', info['endpoint']] + list(args),
            env=env, check=True, capture_output=True, text=True).stdout

    def test_cp_100mib(self):
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, 'src')
            data = os.urandom(100 * MIB)
            with open(src, 'wb') as f:
                f.write(data)
            self.aws('s3', 'cp', src, 's3://%s/big' % self.bucket)
            head = self.s3.head_object(Bucket=self.bucket, Key='big')
            self.assertEqual(100 * MIB, head['ContentLength'])
            # the CLI's default: 8 MiB parts
            chunks = [data[i:i + 8 * MIB] for i in range(0, len(data),
                                                         8 * MIB)]
            self.assertEqual(aws_multipart_etag(chunks), head['ETag'])
            self.assertTrue(head['ETag'].endswith('-13"'))
            dst = os.path.join(tmp, 'dst')
            self.aws('s3', 'cp', 's3://%s/big' % self.bucket, dst)
            with open(dst, 'rb') as f:
                self.assertEqual(hashlib.md5(data).hexdigest(),
                                 hashlib.md5(f.read()).hexdigest())


class TestTenThousandParts(BucketTestCase):
    def test_10000_parts(self):
        s3 = client(max_pool_connections=16)
        upload_id = self.create(s3=s3)
        data = [os.urandom(8) * (MIN_PART // 8) for _ in range(9999)]
        data.append(b'the end')

        def put(number):
            return self.upload(upload_id, number, data[number - 1], s3=s3)

        with ThreadPoolExecutor(16) as pool:
            parts = list(pool.map(put, range(1, 10001)))
        listed = s3.list_parts(Bucket=self.bucket, Key='obj',
                               UploadId=upload_id, PartNumberMarker=9000)
        self.assertEqual(list(range(9001, 10001)),
                         [p['PartNumber'] for p in listed['Parts']])
        self.assertFalse(listed['IsTruncated'])
        result = self.complete(upload_id, parts, s3=s3)
        self.assertEqual(aws_multipart_etag(data), result['ETag'])
        got = s3.get_object(Bucket=self.bucket, Key='obj')
        body = got['Body'].read()
        self.assertEqual(len(b''.join(data)), len(body))
        self.assertEqual(hashlib.md5(b''.join(data)).hexdigest(),
                         hashlib.md5(body).hexdigest())
        ranged = s3.get_object(Bucket=self.bucket, Key='obj',
                               Range='bytes=%d-' % (9999 * MIN_PART))
        self.assertEqual(b'the end', ranged['Body'].read())
