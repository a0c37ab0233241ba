#!/usr/bin/env python3
"""Orphaned bytes after scripted S3 operations and one reaper pass.

Usage::

    .venv/bin/python bench/orphans.py [--saio-dir DIR | --base-port N]
                                      [--json]

The figure of issue 4: after any sequence of S3 operations and one reaper
pass, no byte in ``<bucket>+segments`` that no live object (any version)
and no in-progress upload needs. Each scenario (see ``SCENARIOS``) plays
its sequence with boto3 against our proxy, in buckets of its own; then one
reaper pass runs as if it were two days later (a lifecycle rule of 1 day is
due), then one pass of Swift's object-expirer (with a container-updater
pass before it, so that it sees its queue: a SAIO runs neither), which
deletes the segments of deleted multipart objects (s3api deletes them with
SLO's ``async=on``). What is left is measured twice:

* independently of our code: every container of the scenarios' buckets,
  the hidden versions containers included, listed through a plain Swift
  pipeline (the internal client: no s3api, no SLO); every SLO manifest read
  as stored; a segment is needed if a manifest names it or if its upload's
  marker ``<key>/<upload id>`` is there;
* by ``swift3-multipart-audit``, shown beside it.

Every object a scenario left live (old versions too) is read back and
compared, and every upload it left in progress must still list its parts.
The exit status is 1 if a byte is orphaned or anything is lost.

Without ``--saio-dir`` it starts its own SAIO (ports N to N + 19, default
18500) and stops it by PID and wipes it at the end; with it, it uses the SAIO
running there and deletes its buckets at the end. The reaper pass reads the
whole task queue of that SAIO.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from urllib.parse import quote, urlsplit

import boto3
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from swift.common.utils import readconf
from swift.container.updater import ContainerUpdater
from swift.obj.expirer import ObjectExpirer

from swift3_multipart import audit, layout, reaper
from test.saio import Saio, SaioError, process
from test.saio.swiftdir import use_state_dir

BASE_PORT = 18500
# as test/functional/conftest.py's TEST_S3API_OPTIONS: small parts
S3API_OPTIONS = {'min_segment_size': '1024', 'max_upload_part_num': '10000'}
PART = 1024
USER = 'test:tester'
DAY = 86400
SEGMENTS = '+segments'
# the plain Swift pipeline shows the hidden containers object_versioning
# keeps old versions in only with this header
RESERVED = {'X-Backend-Allow-Reserved-Names': 'true'}
RACE_THREADS = 4


class QuietLogger(object):
    """What the reaper logs (its stats are printed instead)."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def error_code(exc):
    return exc.response['Error']['Code']


class Player(object):
    """Plays the scenarios on one SAIO and measures what they leave."""

    def __init__(self, saio):
        self.env = saio.env()
        self.s3 = boto3.client(
            's3', endpoint_url=self.env['endpoint'],
            region_name=self.env['region'], aws_access_key_id=USER,
            aws_secret_access_key=self.env['users'][USER],
            verify=self.env.get('ca_file') or None,
            config=Config(s3={'addressing_style': 'path'},
                          retries={'max_attempts': 1},
                          max_pool_connections=2 * RACE_THREADS))
        self.ic = saio.internal_client()
        self.state_dir = saio.state_dir
        self.account = self.env['accounts'][USER]
        self.run_id = uuid.uuid4().hex[:8]
        self.scenario = None
        self.buckets = {}     # scenario: [bucket]
        self.live = []        # (scenario, bucket, key, version id, bytes)
        self.uploads = []     # (scenario, bucket, key, upload id, sizes)
        self.gone = []        # (scenario, bucket, key, upload id)
        self.reaper_stats = None

    # --- helpers of the scenarios -----------------------------------------

    def bucket(self, versioning=None, rules=None):
        name = 'orph-%s-%d' % (self.run_id, sum(
            len(b) for b in self.buckets.values()))
        self.buckets.setdefault(self.scenario, []).append(name)
        self.s3.create_bucket(Bucket=name)
        if versioning:
            self.versioning(name, versioning)
        if rules:
            self.s3.put_bucket_lifecycle_configuration(
                Bucket=name, LifecycleConfiguration={'Rules': rules})
        return name

    def versioning(self, bucket, status):
        self.s3.put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration={'Status': status})

    def create(self, bucket, key):
        return self.s3.create_multipart_upload(
            Bucket=bucket, Key=key)['UploadId']

    def part(self, bucket, key, upload_id, number, data):
        etag = self.s3.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number,
            Body=data)['ETag']
        return {'PartNumber': number, 'ETag': etag}

    def complete(self, bucket, key, upload_id, parts):
        return self.s3.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id,
            MultipartUpload={'Parts': parts})

    def mpu(self, bucket, key, count=2, keep=None):
        """
        Upload ``count`` parts and complete with the numbers ``keep`` (all
        by default).

        :returns: (upload id, the object's bytes, its version id or None).
        """
        upload_id = self.create(bucket, key)
        datas = {n: os.urandom(PART + n) for n in range(1, count + 1)}
        parts = {n: self.part(bucket, key, upload_id, n, data)
                 for n, data in datas.items()}
        keep = keep or sorted(parts)
        resp = self.complete(bucket, key, upload_id, [parts[n] for n in keep])
        return (upload_id, b''.join(datas[n] for n in keep),
                resp.get('VersionId'))

    def put(self, bucket, key, data):
        return self.s3.put_object(Bucket=bucket, Key=key,
                                  Body=data).get('VersionId')

    def keep(self, bucket, key, data, version_id=None):
        """An object that must read back as ``data`` at the end."""
        self.live.append((self.scenario, bucket, key, version_id, data))

    def keep_upload(self, bucket, key, upload_id, sizes):
        """An upload that must still be in progress with these parts."""
        self.uploads.append((self.scenario, bucket, key, upload_id, sizes))

    def expect_gone(self, bucket, key, upload_id):
        """An upload that must be NoSuchUpload at the end."""
        self.gone.append((self.scenario, bucket, key, upload_id))

    def abort_until_gone(self, bucket, key, upload_id):
        """What AWS tells a client to do: abort until NoSuchUpload.
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html
        """
        for _ in range(5):
            try:
                self.s3.abort_multipart_upload(
                    Bucket=bucket, Key=key, UploadId=upload_id)
            except ClientError as err:
                if error_code(err) == 'NoSuchUpload':
                    return
                raise
        raise AssertionError('upload %s never gone' % upload_id)

    def late_part(self, bucket, key, upload_id, number, data):
        """
        Start an UploadPart, send half its body, and return a function
        that sends the rest and returns the status: the part is stored
        after anything done in between (e.g. an Abort).
        """
        url = '%s/%s/%s?partNumber=%d&uploadId=%s' % (
            self.env['endpoint'], bucket, quote(key), number, upload_id)
        req = AWSRequest(method='PUT', url=url, headers={
            'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
            'Content-Length': str(len(data))})
        S3SigV4Auth(Credentials(USER, self.env['users'][USER]), 's3',
                    self.env['region']).add_auth(req)
        where = urlsplit(url)
        if where.scheme == 'https':
            conn = http.client.HTTPSConnection(
                where.hostname, where.port, timeout=60,
                context=ssl.create_default_context(
                    cafile=self.env.get('ca_file')))
        else:
            conn = http.client.HTTPConnection(where.hostname, where.port,
                                              timeout=60)
        conn.putrequest('PUT', '%s?%s' % (where.path, where.query),
                        skip_accept_encoding=True)
        for name, value in req.headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        conn.send(data[:len(data) // 2])
        time.sleep(0.5)   # the proxy has found the marker and begun the PUT

        def finish():
            conn.send(data[len(data) // 2:])
            status = conn.getresponse().status
            conn.close()
            return status
        return finish

    def race_abort(self, bucket, key):
        """
        UploadParts in threads, an Abort among them, and one part that is
        sure to arrive after it; once its threads are done, the client
        aborts again until NoSuchUpload.
        """
        upload_id = self.create(bucket, key)
        for n in (1, 2, 3):
            self.part(bucket, key, upload_id, n, os.urandom(PART))
        started = threading.Barrier(RACE_THREADS + 1)

        def uploader(first):
            started.wait()
            for n in range(first, 200, RACE_THREADS):
                try:
                    self.part(bucket, key, upload_id, n, os.urandom(PART))
                except ClientError:
                    return   # NoSuchUpload: the Abort won

        threads = [threading.Thread(target=uploader, args=(10 + i,))
                   for i in range(RACE_THREADS)]
        for thread in threads:
            thread.start()
        finish = self.late_part(bucket, key, upload_id, 9, os.urandom(PART))
        started.wait()
        time.sleep(0.2)
        self.s3.abort_multipart_upload(Bucket=bucket, Key=key,
                                       UploadId=upload_id)
        finish()
        for thread in threads:
            thread.join()
        self.abort_until_gone(bucket, key, upload_id)
        self.expect_gone(bucket, key, upload_id)

    # --- the scenarios ----------------------------------------------------

    def scenario_overwrite_by_complete(self):
        bucket = self.bucket()
        self.mpu(bucket, 'obj')
        upload_id = self.create(bucket, 'obj')
        data = os.urandom(PART)
        parts = [self.part(bucket, 'obj', upload_id, 1, data)]
        self.complete(bucket, 'obj', upload_id, parts)
        # a retried Complete answers as the first did, frees nothing
        self.complete(bucket, 'obj', upload_id, parts)
        self.keep(bucket, 'obj', data)

    def scenario_overwrite_by_put(self):
        bucket = self.bucket()
        self.mpu(bucket, 'obj')
        self.put(bucket, 'obj', b'plain')
        self.keep(bucket, 'obj', b'plain')

    def scenario_overwrite_by_copy(self):
        bucket = self.bucket()
        self.mpu(bucket, 'obj')
        self.put(bucket, 'src', b'source')
        self.s3.copy_object(Bucket=bucket, Key='obj',
                            CopySource={'Bucket': bucket, 'Key': 'src'})
        self.keep(bucket, 'obj', b'source')
        self.keep(bucket, 'src', b'source')
        # a copy of a multipart object outlives the overwrite of its source
        _, data, _ = self.mpu(bucket, 'a')
        self.s3.copy_object(Bucket=bucket, Key='b',
                            CopySource={'Bucket': bucket, 'Key': 'a'})
        self.put(bucket, 'a', b'new a')
        self.keep(bucket, 'a', b'new a')
        self.keep(bucket, 'b', data)

    def scenario_delete(self):
        bucket = self.bucket()
        self.mpu(bucket, 'obj')
        self.s3.delete_object(Bucket=bucket, Key='obj')
        _, data, _ = self.mpu(bucket, 'other')
        self.keep(bucket, 'other', data)

    def scenario_abort(self):
        bucket = self.bucket()
        upload_id = self.create(bucket, 'obj')
        for n in (1, 2, 3):
            self.part(bucket, 'obj', upload_id, n, os.urandom(PART))
        self.s3.abort_multipart_upload(Bucket=bucket, Key='obj',
                                       UploadId=upload_id)
        self.expect_gone(bucket, 'obj', upload_id)

    def scenario_complete_omits_parts(self):
        bucket = self.bucket()
        _, data, _ = self.mpu(bucket, 'obj', count=4, keep=[1, 3])
        self.keep(bucket, 'obj', data)

    def scenario_abort_racing_parts(self):
        bucket = self.bucket()
        self.race_abort(bucket, 'obj')

    def scenario_abort_racing_parts_versioned(self):
        bucket = self.bucket(versioning='Enabled')
        _, data, version = self.mpu(bucket, 'obj')
        self.keep(bucket, 'obj', data, version)
        self.race_abort(bucket, 'obj')

    def scenario_versioned_overwrite(self):
        bucket = self.bucket(versioning='Enabled')
        _, _, first = self.mpu(bucket, 'obj')
        _, _, second = self.mpu(bucket, 'obj', count=3)
        data = b'plain'
        self.keep(bucket, 'obj', data, self.put(bucket, 'obj', data))
        for version in (first, second):
            self.s3.delete_object(Bucket=bucket, Key='obj',
                                  VersionId=version)
        # old versions kept: over a PutObject, under a delete marker
        _, data, version = self.mpu(bucket, 'kept')
        self.keep(bucket, 'kept', data, version)
        self.keep(bucket, 'kept', b'new', self.put(bucket, 'kept', b'new'))
        _, data, version = self.mpu(bucket, 'hidden')
        self.s3.delete_object(Bucket=bucket, Key='hidden')
        self.keep(bucket, 'hidden', data, version)

    def scenario_suspended_overwrite(self):
        bucket = self.bucket(versioning='Enabled')
        _, data, version = self.mpu(bucket, 'obj')
        self.keep(bucket, 'obj', data, version)
        self.versioning(bucket, 'Suspended')
        # the null version: replaced, not kept, by the next write
        self.mpu(bucket, 'obj')
        self.keep(bucket, 'obj', b'plain', self.put(bucket, 'obj', b'plain'))

    def scenario_abandoned_upload(self):
        bucket = self.bucket(rules=[
            {'ID': 'tmp', 'Filter': {'Prefix': 'tmp/'}, 'Status': 'Enabled',
             'AbortIncompleteMultipartUpload': {'DaysAfterInitiation': 1}},
            {'ID': 'slow', 'Filter': {'Prefix': 'slow/'},
             'Status': 'Enabled',
             'AbortIncompleteMultipartUpload': {'DaysAfterInitiation': 30}}])
        abandoned = self.create(bucket, 'tmp/abandoned')
        for n in (1, 2):
            self.part(bucket, 'tmp/abandoned', abandoned, n, os.urandom(PART))
        self.expect_gone(bucket, 'tmp/abandoned', abandoned)
        # not due: in progress after the pass
        slow = self.create(bucket, 'slow/upload')
        self.part(bucket, 'slow/upload', slow, 1, os.urandom(PART))
        self.keep_upload(bucket, 'slow/upload', slow, [PART])
        # its task finds the upload completed
        _, data, _ = self.mpu(bucket, 'tmp/done')
        self.keep(bucket, 'tmp/done', data)

    def scenario_in_progress(self):
        bucket = self.bucket()
        for key, sizes in (('busy', [PART, PART, 7]), ('empty', [])):
            upload_id = self.create(bucket, key)
            for n, size in enumerate(sizes, 1):
                self.part(bucket, key, upload_id, n, os.urandom(size))
            self.keep_upload(bucket, key, upload_id, sizes)
        # a live object of the same key as an upload in progress
        _, data, _ = self.mpu(bucket, 'busy')
        self.keep(bucket, 'busy', data)

    def play(self):
        for name, _ in SCENARIOS:
            self.scenario = name
            getattr(self, 'scenario_' + name)()
        self.scenario = None

    def reaper_pass(self, now=None):
        """One pass, as if it were two days on: rules of 1 day are due."""
        # no rate limit: the SAIO holds only this run's tasks
        self.reaper_stats = reaper.MpuReaper(
            {'tasks_per_second': '0', 'deletes_per_second': '0',
             'recon_cache_path': self.state_dir},
            logger=QuietLogger(), swift=self.ic).run_once(
                now=now or time.time() + 2 * DAY)
        return self.reaper_stats

    def expirer_pass(self, saio):
        """
        What a cluster runs anyway: DeleteObject of a multipart object
        (s3api asks SLO for ``async=on``) queues its segments for Swift's
        object-expirer. One container-updater pass first, so that the
        queue's containers are in the account listing the expirer reads.
        """
        # in a process of its own: the updater monkey-patches the process
        # it runs in with eventlet, which breaks boto3's TLS afterwards
        subprocess.run([sys.executable, os.path.abspath(__file__),
                        '--expirer-pass', saio.state_dir], check=True,
                       env=process.child_env())

    # --- measuring --------------------------------------------------------

    def listing(self, container=None):
        """Rows of the account or a container, through plain Swift."""
        marker = ''
        while True:
            resp = self.ic.make_request(
                'GET', self.ic.make_path(self.account, container),
                dict(RESERVED), (2,),
                params={'format': 'json', 'marker': marker})
            rows = json.loads(resp.body)
            if not rows:
                return
            yield from rows
            marker = rows[-1]['name']

    def manifest(self, container, obj):
        """The names an SLO manifest lists, as stored; [] if not one."""
        path = self.ic.make_path(self.account, container, obj)
        resp = self.ic.make_request('HEAD', path, dict(RESERVED), (2, 404))
        if resp.status_int == 404 or \
                not resp.headers.get('X-Static-Large-Object'):
            return []
        resp = self.ic.make_request('GET', path, dict(RESERVED), (2,))
        return [entry['name'] for entry in json.loads(resp.body)]

    def orphans(self):
        """
        Measure, without our code: {bucket: {'orphans': [(name, bytes)],
        'in_progress_bytes': n}}.
        """
        owner = {}
        for row in self.listing():
            # <bucket>, <bucket>+segments, \\x00versions\\x00<bucket>
            bucket = row['name'].split('\x00')[-1]
            if bucket.endswith(SEGMENTS):
                bucket = bucket[:-len(SEGMENTS)]
            owner[row['name']] = bucket
        mine = {b for buckets in self.buckets.values() for b in buckets}
        containers = [c for c, b in owner.items() if b in mine]
        referenced = set()
        for container in containers:
            if not container.endswith(SEGMENTS):
                for row in self.listing(container):
                    referenced.update(self.manifest(container, row['name']))
        found = {bucket: {'orphans': [], 'in_progress_bytes': 0}
                 for bucket in mine}
        for container in containers:
            if container.endswith(SEGMENTS):
                self._segments(container, owner[container], referenced,
                               found[owner[container]])
        return found

    def in_progress(self, bucket):
        """{(key, upload id)} of the uploads of our layout in progress:
        the records of the bucket's index."""
        index = layout.index_container(bucket)
        if index not in {row['name'] for row in self.listing()}:
            return set()
        return {layout.split_record_name(row['name'])
                for row in self.listing(index)} - {None}

    def _segments(self, container, bucket, referenced, found):
        rows = list(self.listing(container))
        names = {row['name'] for row in rows}
        records = self.in_progress(bucket)
        for row in rows:
            if layout.is_abort_record(row['name']):
                continue   # 0 bytes, kept (swift3_multipart/abort.py)
            ours = layout.split_segment_name(row['name'])
            if ours is not None:
                # an attempt of our layout: its upload's record tells
                if ours in records:
                    found['in_progress_bytes'] += row['bytes']
                elif '/%s/%s' % (container, row['name']) not in referenced:
                    found['orphans'].append((row['name'], row['bytes']))
                continue
            upload = re.match(r'(.*)/[0-9]+$', row['name'])
            if not upload:
                continue   # an upload marker: the upload is in progress
            if upload.group(1) in names:
                found['in_progress_bytes'] += row['bytes']
            elif '/%s/%s' % (container, row['name']) not in referenced:
                found['orphans'].append((row['name'], row['bytes']))

    def audit(self):
        """:returns: {bucket: orphan bytes} of swift3-multipart-audit."""
        buckets = sorted(b for bs in self.buckets.values() for b in bs)
        result = audit.Auditor(self.ic, self.account).audit(buckets)
        return {r['bucket']: r['orphan_bytes'] for r in result['buckets']}

    def lost(self):
        """What is not as the scenarios left it (an object not as written,
        an upload not in progress, or in progress that should not be):
        [(scenario, text)]."""
        lost = []
        for scenario, bucket, key, version_id, data in self.live:
            kwargs = {'VersionId': version_id} if version_id else {}
            try:
                got = self.s3.get_object(Bucket=bucket, Key=key,
                                         **kwargs)['Body'].read()
            except ClientError as err:
                got = error_code(err)
            if got != data:
                lost.append((scenario, '%s/%s version %s: %s' % (
                    bucket, key, version_id, 'damaged'
                    if isinstance(got, bytes) else got)))
        for scenario, bucket, key, upload_id, sizes in self.uploads:
            try:
                got = [p['Size'] for p in self.s3.list_parts(
                    Bucket=bucket, Key=key, UploadId=upload_id).get(
                        'Parts', [])]
            except ClientError as err:
                got = error_code(err)
            if got != sizes:
                lost.append((scenario, '%s/%s upload %s: parts %s' % (
                    bucket, key, upload_id, got)))
        for scenario, bucket, key, upload_id in self.gone:
            try:
                self.s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)
                lost.append((scenario, '%s/%s upload %s: still in progress'
                             % (bucket, key, upload_id)))
            except ClientError as err:
                if error_code(err) != 'NoSuchUpload':
                    raise
        return lost

    def report(self):
        """Everything measured, per scenario and in total."""
        found, audited, lost = self.orphans(), self.audit(), self.lost()
        rows = []
        for name, what in SCENARIOS:
            buckets = self.buckets.get(name, [])
            orphans = sorted(
                '%s/%s' % (b + SEGMENTS, n)
                for b in buckets for n, _ in found[b]['orphans'])
            rows.append({
                'scenario': name, 'what': what, 'buckets': buckets,
                'orphan_bytes': sum(s for b in buckets
                                    for _, s in found[b]['orphans']),
                'orphans': orphans,
                'audit_orphan_bytes': sum(audited.get(b, 0)
                                          for b in buckets),
                'in_progress_bytes': sum(found[b]['in_progress_bytes']
                                         for b in buckets),
                'live': sum(1 for row in self.live if row[0] == name),
                'uploads': sum(1 for row in self.uploads if row[0] == name),
                'lost': [text for s, text in lost if s == name]})
        return {
            'scenarios': rows, 'reaper': self.reaper_stats,
            'orphaned_bytes': sum(r['orphan_bytes'] for r in rows),
            'audit_orphan_bytes': sum(r['audit_orphan_bytes'] for r in rows),
            'lost': sum(len(r['lost']) for r in rows)}

    # --- cleaning up --------------------------------------------------

    def delete_buckets(self):
        """Delete what the scenarios stored (on a SAIO we did not start)."""
        for bucket in sorted(b for bs in self.buckets.values() for b in bs):
            listed = self.s3.list_multipart_uploads(Bucket=bucket)
            for upload in listed.get('Uploads', []):
                self.abort_until_gone(bucket, upload['Key'],
                                      upload['UploadId'])
            for page in self.s3.get_paginator(
                    'list_object_versions').paginate(Bucket=bucket):
                for v in page.get('Versions', []) + page.get(
                        'DeleteMarkers', []):
                    self.s3.delete_object(Bucket=bucket, Key=v['Key'],
                                          VersionId=v['VersionId'])
            self.s3.delete_bucket(Bucket=bucket)


# name: what the scenario does (Player.scenario_<name>)
SCENARIOS = (
    ('overwrite_by_complete', 'multipart object overwritten by Complete'),
    ('overwrite_by_put', 'multipart object overwritten by PutObject'),
    ('overwrite_by_copy', 'multipart object overwritten by CopyObject'),
    ('delete', 'DeleteObject of a multipart object'),
    ('abort', 'Abort of an upload with parts'),
    ('complete_omits_parts', 'Complete that leaves out uploaded parts'),
    ('abort_racing_parts', 'Abort racing UploadParts, Abort again'),
    ('abort_racing_parts_versioned',
     'the same in a versioned bucket'),
    ('versioned_overwrite', 'versioned overwrites, old versions deleted'),
    ('suspended_overwrite', 'null version overwritten, versioning '
     'suspended'),
    ('abandoned_upload', 'upload past its abort date (lifecycle rule)'),
    ('in_progress', 'uploads in progress, live objects'),
)


def table(result):
    """The human report: one line per scenario, then the figure."""
    rows = [('SCENARIO', 'ORPHAN BYTES', 'AUDIT', 'IN PROGRESS', 'LIVE',
             'LOST', 'WHAT')]
    for r in result['scenarios']:
        rows.append((r['scenario'], str(r['orphan_bytes']),
                     str(r['audit_orphan_bytes']),
                     '%d (%d B)' % (r['uploads'], r['in_progress_bytes']),
                     str(r['live']), str(len(r['lost'])), r['what']))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ['  '.join(cell.ljust(w) for cell, w in zip(row, widths))
             .rstrip() for row in rows]
    for r in result['scenarios']:
        lines.extend('%s: orphan %s' % (r['scenario'], name)
                     for name in r['orphans'])
        lines.extend('%s: LOST %s' % (r['scenario'], text)
                     for text in r['lost'])
    lines.append('reaper pass: %s' % ', '.join(
        '%s %d' % kv for kv in sorted((result['reaper'] or {}).items())))
    lines.append('then one container-updater and object-expirer pass')
    lines.append('audit tool: %d orphaned bytes' %
                 result['audit_orphan_bytes'])
    lines.append('nothing lost: %s' % ('yes' if not result['lost'] else
                                       'NO, %d' % result['lost']))
    lines.append('orphaned bytes after one reaper pass: %d' %
                 result['orphaned_bytes'])
    return '\n'.join(lines)


def run(saio):
    """Play, reap, measure on a running SAIO; :returns: (result, player)."""
    player = Player(saio)
    player.play()
    player.reaper_pass()
    player.expirer_pass(saio)
    return player.report(), player


def make_parser():
    parser = argparse.ArgumentParser(
        prog='bench/orphans.py', description=__doc__.split('\n\n')[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument('--saio-dir', help='use the SAIO running there')
    where.add_argument('--base-port', type=int, default=BASE_PORT,
                       help='base port of the SAIO we start (uses 20 '
                       'ports; default %d)' % BASE_PORT)
    parser.add_argument('--json', action='store_true',
                        help='a JSON document instead of the table')
    return parser


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


def expirer_pass_here(state_dir):
    """The body of :meth:`Player.expirer_pass`, in this process."""
    use_state_dir(state_dir)   # the SAIO's hash path prefix and suffix
    saio = Saio.load(state_dir)
    conf = readconf(saio.config.backend_conf_path('container'))
    ContainerUpdater(dict(conf['app:container-server']),
                     logger=QuietLogger()).run_once()
    ObjectExpirer({}, logger=QuietLogger(),
                  swift=saio.internal_client()).run_once()


def main(argv=None, out=sys.stdout):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ['--expirer-pass']:
        expirer_pass_here(argv[1])
        return 0
    args = make_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    started = None
    try:
        if args.saio_dir:
            saio = Saio.load(args.saio_dir)
            if not saio.is_running():
                raise SaioError('no SAIO running in %s' % args.saio_dir)
        else:
            saio = started = Saio(tempfile.mkdtemp(prefix='s3mp-orphans-'),
                                  base_port=args.base_port,
                                  s3api_options=S3API_OPTIONS)
            saio.start()
        result, player = run(saio)
        if not started:
            player.delete_buckets()
    except SaioError as err:
        print('orphans: %s' % err, file=sys.stderr)
        return 2
    finally:
        if started is not None:
            started.stop()
            started.wipe()
            shutil.rmtree(started.state_dir, ignore_errors=True)
    if args.json:
        json.dump(result, out, indent=1, sort_keys=True)
        out.write('\n')
    else:
        print(table(result), file=out)
    return 1 if result['orphaned_bytes'] or result['lost'] else 0


if __name__ == '__main__':
    sys.exit(main())
