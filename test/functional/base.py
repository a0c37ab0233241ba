"""Clients of the running SAIO and a test case with its own bucket."""

import hashlib
import os
import subprocess
import sys
import time
import unittest
import uuid
from unittest import mock

import boto3
import urllib3
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from swift3_multipart import layout, reaper
from test.saio import Saio, process

MIB = 1024 * 1024
ORPHANS_SCRIPT = os.path.join(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))), 'bench', 'orphans.py')
# below this a part is EntityTooSmall (conftest's min_segment_size)
MIN_PART = 1024


def saio():
    return Saio.load(os.environ['SAIO_STATE_DIR'])


def client(user=None, proxy='ours', **config):
    """A boto3 S3 client with default settings (checksums included), of
    ``user`` (an access key; default the SAIO's first user, test:tester,
    with Keystone test-tester)."""
    env = saio().env()
    user = user or env['access_key']
    endpoint = env['endpoint'] if proxy == 'ours' else env['stock_endpoint']
    return boto3.client(
        's3', endpoint_url=endpoint, region_name=env['region'],
        aws_access_key_id=user, aws_secret_access_key=env['users'][user],
        config=Config(s3={'addressing_style': 'path'},
                      retries={'max_attempts': 1}, **config))


def access_key(name):
    """The access key of the SAIO's user ``name`` (tester, tester2 or
    tester3), with tempauth or Keystone."""
    return saio().env()['access_keys'][name]


def raw_request(method, path, body=b'', headers=None, user=None):
    """A SigV4-signed request that no SDK shaped: (status, headers, body)."""
    env = saio().env()
    user = user or env['access_key']
    url = env['endpoint'] + path
    req = AWSRequest(method=method, url=url, data=body,
                     headers=dict(headers or {}))
    req.headers['x-amz-content-sha256'] = hashlib.sha256(body).hexdigest()
    S3SigV4Auth(Credentials(user, env['users'][user]), 's3',
                env['region']).add_auth(req)
    resp = urllib3.PoolManager().request(
        method, url, body=body, headers=dict(req.headers.items()),
        retries=False)
    return resp.status, resp.headers, resp.data


def error_code(exc):
    return exc.response['Error']['Code']


def md5_hex(data):
    return hashlib.md5(data).hexdigest()


def aws_multipart_etag(parts):
    """The ETag AWS gives a multipart object, computed from the bytes."""
    digests = b''.join(hashlib.md5(p).digest() for p in parts)
    return '"%s-%d"' % (hashlib.md5(digests).hexdigest(), len(parts))


def unlimited_reaper_conf(**conf):
    """A reaper's conf for the test SAIO: no rate limit (a pass meets
    every task of the session), its recon cache in the SAIO's state dir."""
    conf.setdefault('tasks_per_second', '0')
    conf.setdefault('deletes_per_second', '0')
    conf.setdefault('recon_cache_path', saio().state_dir)
    return conf


class BucketTestCase(unittest.TestCase):
    """One new bucket per test; tearDown aborts, deletes and removes it."""

    def setUp(self):
        self.s3 = client()
        self.bucket = 'mp-%s' % uuid.uuid4().hex[:20]
        self.s3.create_bucket(Bucket=self.bucket)
        self.addCleanup(self.empty_and_delete_bucket)

    def empty_and_delete_bucket(self):
        # DeleteBucket deletes what remains of +segments: give it time
        s3 = client(read_timeout=300)
        for page in s3.get_paginator('list_multipart_uploads').paginate(
                Bucket=self.bucket):
            for upload in page.get('Uploads', []):
                try:
                    s3.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload['Key'],
                        UploadId=upload['UploadId'])
                except ClientError:
                    pass
        for page in s3.get_paginator('list_objects').paginate(
                Bucket=self.bucket):
            for obj in page.get('Contents', []):
                s3.delete_object(Bucket=self.bucket, Key=obj['Key'])
        s3.delete_bucket(Bucket=self.bucket)

    def assertS3Error(self, code, status, func, *args, **kwargs):
        with self.assertRaises(ClientError) as caught:
            func(*args, **kwargs)
        self.assertEqual(code, error_code(caught.exception))
        self.assertEqual(status, caught.exception.response[
            'ResponseMetadata']['HTTPStatusCode'])
        return caught.exception

    def create(self, key='obj', s3=None, **kwargs):
        return (s3 or self.s3).create_multipart_upload(
            Bucket=self.bucket, Key=key, **kwargs)['UploadId']

    def upload(self, upload_id, number, data, key='obj', s3=None):
        resp = (s3 or self.s3).upload_part(
            Bucket=self.bucket, Key=key, UploadId=upload_id,
            PartNumber=number, Body=data)
        return {'PartNumber': number, 'ETag': resp['ETag']}

    def complete(self, upload_id, parts, key='obj', s3=None):
        return (s3 or self.s3).complete_multipart_upload(
            Bucket=self.bucket, Key=key, UploadId=upload_id,
            MultipartUpload={'Parts': parts})

    def read(self, key='obj'):
        return self.s3.get_object(Bucket=self.bucket, Key=key)['Body'].read()

    def live_segments(self):
        """The segments, but the abort records of our layout (0 bytes
        each; they stay, see swift3_multipart/abort.py)."""
        return [n for n in self.segments() if not layout.is_abort_record(n)]

    def just_created(self, key, upload_id):
        """What the segments container holds of an upload just created:
        stock's marker; nothing of ours (its record is in the index)."""
        if layout.is_ours(upload_id):
            return []
        return [layout.marker_name(key, upload_id)]

    def stored_parts(self):
        """{(key, upload id): sorted part numbers} of the part objects in
        the segments container, of either layout (every attempt of ours
        counts); markers, fences and abort records are not parts."""
        found = {}
        for name in self.segments():
            ours = layout.split_segment_name(name)
            if ours is not None:
                number = layout.attempt_of(
                    name, layout.parts_prefix(*ours))[0]
                found.setdefault(ours, []).append(number)
                continue
            head, _, number = name.rpartition('/')
            key, _, upload_id = head.rpartition('/')
            if key and number.isdigit() and int(number) > 0 and \
                    not layout.is_ours(upload_id):
                found.setdefault((key, upload_id), []).append(int(number))
        return {k: sorted(v) for k, v in found.items()}

    def reap(self, later=2 * 86400):
        """One pass of swift3-multipart-reaper over the SAIO, as if
        ``later`` seconds had passed (every task due by then runs, the
        sweeps Complete queued sweep_delay on among them).

        :returns: the pass's stats.
        """
        return reaper.MpuReaper(
            unlimited_reaper_conf(), logger=mock.Mock(),
            swift=saio().internal_client()).run_once(now=time.time() + later)

    def expirer_pass(self):
        """One container-updater and one object-expirer pass over the SAIO
        (bench/orphans.py's, in a process of its own): DeleteObject of a
        multipart object has SLO delete its segments that way
        (``async=on``), as a cluster's expirer does."""
        subprocess.run([sys.executable, ORPHANS_SCRIPT, '--expirer-pass',
                        saio().state_dir], check=True,
                       env=process.child_env())

    def segments(self):
        """Names in the bucket's segments container, straight from Swift."""
        ic = saio().internal_client()
        env = saio().env()
        account = env['accounts'][env['access_key']]
        if not ic.container_exists(account, self.bucket + '+segments'):
            return []
        return [o['name'] for o in ic.iter_objects(
            account, self.bucket + '+segments')]
