#!/usr/bin/env python3
"""Multipart upload benchmark: stock s3api and ours, raw Swift as the limit.

Usage (``bench/run`` creates ``.venv`` first, as ``bin/run-tests`` does)::

    bench/run [--quick | --full] [--json FILE] [--reps N]
              [--state-dir DIR] [--port 18480] [--only PHASES]

Without ``--state-dir`` it starts its own SAIO in a temporary directory
(devices on /dev/shm, ports 18480-18499) with three proxies: ``ours``
(base port), ``stock`` (+1, Swift's own s3api) and ``raw`` (+2, no s3api,
no auth), and stops it by PID at the end, also on errors. With
``--state-dir`` it uses the SAIO running there (it must run the raw proxy
and a ``min_segment_size`` of at most 64 KiB) and leaves it running.

Every measurement is taken in the same run on the same data for both
filters, repeated (``--reps``: 3 in quick, 5 in full mode) in rotating
order, and shown as median (min-max). Phases (``--only``): ``upload``
(UploadPart throughput and proxy CPU), ``rss`` (proxy peak RSS during a
large upload), ``complete`` (Complete latency and backend requests,
ListParts pages), ``lmu`` (ListMultipartUploads with more and more
completed objects in the bucket).

``stock`` measures uploads of s3api's layout, begun by stock s3api;
``ours`` uploads of our layout, begun by ours (its default), with
``list_stock_uploads = false`` (what a fleet runs once stock's uploads have
drained; see README "Our layout").

The exit status is 1 if a deterministic assertion fails (backend requests
per Complete, rows read per ListParts page, answers of the S3 calls);
timings are only reported, with their targets.
"""

import argparse
import hashlib
import io
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import boto3
import urllib3
from botocore.config import Config

import benchlib
from benchlib import GIB, MIB, summarize
import benchreport as report

from swift3_multipart import layout
from test.saio import Saio, SaioError

BASE_PORT = 18480
PROXIES = ('raw', 'stock', 'ours')
S3_PROXIES = ('stock', 'ours')
BACKENDS = ('account', 'container', 'object')
# a part of an upload that only Complete/ListParts/ListMultipartUploads read
MAX_SMALL_PART = 64 * 1024
# s3api options of the SAIO we start: parts this small are not
# EntityTooSmall; ours lists the index of its own layout alone
BENCH_S3API_OPTIONS = {'min_segment_size': '1024',
                       'list_stock_uploads': 'false'}
# container listings read reserved names only with this header
RESERVED = {'X-Backend-Allow-Reserved-Names': 'true'}
SETUP_THREADS = 8
LISTPARTS_MARKERS = (0.0, 0.5, 0.9)

MODES = {
    'quick': dict(
        reps=3, part_sizes=(8 * MIB,), threads=(1,), upload_total=64 * MIB,
        rss_total=128 * MIB, rss_part=8 * MIB, rss_threads=4,
        complete_parts=(1, 3, 10, 100, 1000), listparts_parts=2000,
        lmu_uploads=20, lmu_completed=(0, 10), lmu_completed_parts=100),
    # 5 repetitions: the medians should hold on a machine others use too
    'full': dict(
        reps=5, part_sizes=(8 * MIB, 64 * MIB), threads=(1, 4),
        upload_total=512 * MIB,
        rss_total=2 * GIB, rss_part=64 * MIB, rss_threads=4,
        complete_parts=(1, 3, 10, 100, 1000, 10000), listparts_parts=10000,
        lmu_uploads=20, lmu_completed=(0, 50, 200), lmu_completed_parts=100),
}
PHASES = ('upload', 'rss', 'complete', 'lmu')


class BenchError(Exception):
    """The benchmark cannot run, or an S3 or Swift call failed."""


def parallel(fn, items, threads):
    """[fn(item)] with ``threads`` threads (in order)."""
    items = list(items)
    if threads <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(fn, items))


def rotated(items, rep):
    """``items`` starting at a different one each repetition."""
    shift = rep % len(items)
    return list(items[shift:]) + list(items[:shift])


def multipart_etag(part_etags):
    """The S3 ETag of a completed upload of parts with these hex MD5s."""
    digests = b''.join(bytes.fromhex(etag) for etag in part_etags)
    return '%s-%d' % (hashlib.md5(digests).hexdigest(), len(part_etags))


class Upload(object):
    """A multipart upload whose parts the raw proxy wrote."""

    def __init__(self, bucket, key, upload_id, part_etags):
        self.bucket = bucket
        self.key = key
        self.upload_id = upload_id
        self.part_etags = part_etags  # hex, part 1 first
        self.s3_etag = multipart_etag(part_etags)
        self.marker_headers = None

    @property
    def segments(self):
        return layout.segments_container(self.bucket)

    @property
    def marker(self):
        """(container, object) of what tells the upload is in progress:
        s3api's marker ``<key>/<upload id>`` in the segments container, or
        our upload record in the bucket's index."""
        if layout.is_ours(self.upload_id):
            return (layout.index_container(self.bucket),
                    layout.record_name(self.key, self.upload_id))
        return self.segments, layout.marker_name(self.key, self.upload_id)

    def part_name(self, number):
        """Where the part is written: s3api's ``<key>/<upload id>/<n>``, or
        one attempt of our layout."""
        if layout.is_ours(self.upload_id):
            return layout.attempt_name(self.key, self.upload_id, number,
                                       layout.new_attempt())
        return layout.part_name(self.key, self.upload_id, number)

    def complete_body(self):
        return {'Parts': [{'ETag': '"%s"' % etag, 'PartNumber': number}
                          for number, etag in enumerate(self.part_etags, 1)]}


class Bench(object):
    """The measurements of one run on one SAIO."""

    def __init__(self, saio, mode, reps, out=sys.stdout):
        self.saio = saio
        self.mode = mode
        self.settings = MODES[mode]
        self.reps = reps
        self.out = out
        self.env = saio.env()
        missing = [p for p in PROXIES if not self.env.get(
            {'ours': 'endpoint'}.get(p, p + '_endpoint'))]
        if missing:
            raise BenchError(
                'the SAIO in %s does not run the %s prox%s; start it with '
                '"swift3-multipart-saio start --proxies ours,stock,raw '
                '--s3api-option min_segment_size=1024"' % (
                    saio.state_dir, ', '.join(missing),
                    'y' if len(missing) == 1 else 'ies'))
        self.small_part = int(self.env['s3api_options'].get(
            'min_segment_size', 5 * MIB))
        if self.small_part > MAX_SMALL_PART:
            raise BenchError(
                'min_segment_size of the SAIO is %d: 10,000 parts that big '
                'do not fit; start it with --s3api-option '
                'min_segment_size=1024' % self.small_part)
        self.small_part = max(self.small_part, 1)
        status = saio.status()
        self.pids = {p: status['proxy-' + p]['pid'] for p in PROXIES}
        self.account = self.env['accounts'][self.env['access_key']]
        self.container_port = saio.config.port('container')
        self.http = urllib3.PoolManager(
            maxsize=2 * SETUP_THREADS, retries=False,
            timeout=urllib3.Timeout(connect=10, read=900))
        self.backend_logs = [benchlib.LogTail(saio.config.log_path(kind))
                             for kind in BACKENDS]
        self.proxy_logs = {p: benchlib.LogTail(self.env['proxy_logs'][p])
                           for p in PROXIES}
        largest = max(self.settings['part_sizes'] +
                      (self.settings['rss_part'],))
        self.data = os.urandom(largest)
        self.run_id = uuid.uuid4().hex[:8]
        self.clock_ticks = os.sysconf('SC_CLK_TCK')
        self._clients = {}
        self.payload_headers = {}
        self._ic = None
        self.results = {}

    # --- clients ----------------------------------------------------------

    def endpoint(self, proxy):
        return self.env['endpoint' if proxy == 'ours' else
                        proxy + '_endpoint']

    def client(self, proxy, signed=True):
        """A boto3 client of one S3 proxy, SigV4, payload signed or
        UNSIGNED-PAYLOAD, and no CRC32 (``when_required``) either way."""
        if (proxy, signed) not in self._clients:
            client = boto3.client(
                's3', endpoint_url=self.endpoint(proxy),
                region_name=self.env['region'],
                aws_access_key_id=self.env['access_key'],
                aws_secret_access_key=self.env['secret_key'],
                config=Config(
                    signature_version='s3v4',
                    s3={'addressing_style': 'path',
                        'payload_signing_enabled': signed},
                    request_checksum_calculation='when_required',
                    response_checksum_validation='when_required',
                    retries={'total_max_attempts': 1},
                    max_pool_connections=2 * SETUP_THREADS,
                    connect_timeout=10, read_timeout=900))
            client.meta.events.register(
                'before-send.s3.UploadPart',
                lambda request, _key=(proxy, signed), **kw:
                    self._note_payload(_key, request))
            self._clients[(proxy, signed)] = client
        return self._clients[(proxy, signed)]

    def _note_payload(self, key, request):
        value = request.headers.get('x-amz-content-sha256', b'')
        value = value.decode() if isinstance(value, bytes) else value
        self.payload_headers[key] = 'sha256 of the body' if len(
            value) == 64 else value

    @property
    def internal_client(self):
        """Swift's InternalClient (no gatekeeper: it may write sysmeta)."""
        if self._ic is None:
            self._ic = self.saio.internal_client()
        return self._ic

    def raw(self, method, path, body=None, query=''):
        """A request to the raw proxy that must succeed; ``path`` is not
        quoted yet."""
        url = self.endpoint('raw') + quote(path) + (
            '?' + query if query else '')
        resp = self.http.request(method, url, body=body)
        if resp.status // 100 != 2:
            raise BenchError('%s %s: %d %r' % (
                method, path, resp.status, resp.data[:200]))
        return resp

    def swift_path(self, container, obj=None):
        path = '/v1/%s/%s' % (self.account, container)
        return path if obj is None else path + '/' + obj

    # --- data -------------------------------------------------------------

    def body(self, number, size):
        """``size`` bytes of the random data, another slice per number."""
        offset = (number * size) % (len(self.data) - size + 1)
        return self.data[offset:offset + size]

    def make_bucket(self, purpose):
        bucket = 'bench-%s-%s' % (self.run_id, purpose)
        self.client('ours').create_bucket(Bucket=bucket)
        return bucket

    def make_upload(self, bucket, key, parts, proxy='stock'):
        """An upload begun by ``proxy`` (stock: of s3api's layout; ours: of
        our layout) with ``parts`` small parts written by raw Swift PUTs
        where its UploadParts would write them (setup, untimed)."""
        upload_id = self.client(proxy).create_multipart_upload(
            Bucket=bucket, Key=key)['UploadId']
        if layout.is_ours(upload_id) != (proxy == 'ours'):
            raise BenchError('%s began upload %s of the other layout' % (
                proxy, upload_id))
        upload = Upload(bucket, key, upload_id, [])
        size = self.small_part

        def put(number):
            body = self.body(number, size)
            self.raw('PUT', self.swift_path(
                upload.segments, upload.part_name(number)), body=body)
            return hashlib.md5(body).hexdigest()
        etags = parallel(put, range(1, parts + 1), SETUP_THREADS)
        return Upload(bucket, key, upload_id, etags)

    def save_marker(self, upload):
        container, obj = upload.marker
        meta = self.internal_client.get_object_metadata(
            self.account, container, obj, headers=RESERVED)
        upload.marker_headers = {
            key: value for key, value in meta.items()
            if key.startswith(('x-object-sysmeta-', 'x-object-meta-')) or
            key == 'content-type'}

    def reopen(self, upload):
        """Make a completed upload in progress again: remove the manifest
        (not the segments) and PUT the marker (or record) back as it
        was."""
        self.raw('DELETE', self.swift_path(upload.bucket, upload.key))
        headers = dict(upload.marker_headers, **{'Content-Length': '0'})
        headers.update(RESERVED)
        container, obj = upload.marker
        self.internal_client.upload_object(
            io.BytesIO(b''), self.account, container, obj, headers=headers)

    # --- observing one S3 request -------------------------------------------

    def observe(self, proxy, call):
        """
        Run one S3 call; what it cost the proxy and the backend (every
        container GET it made is a listing; its rows are counted).

        :returns: (response, {'seconds', 'proxy_cpu', 'backend_requests',
            'by_server', 'listing_gets', 'info_heads', 'listing_rows',
            'listing_bytes',
            'proxy_logged'})
        """
        for tail in self.backend_logs + [self.proxy_logs[proxy]]:
            tail.mark()
        pid = self.pids[proxy]
        cpu = benchlib.cpu_seconds(pid, self.clock_ticks)
        start = time.perf_counter()
        resp = call()
        seconds = time.perf_counter() - start
        cpu = benchlib.cpu_seconds(pid, self.clock_ticks) - cpu
        txn = resp['ResponseMetadata']['HTTPHeaders']['x-amz-request-id']

        def backend_lines():
            return [r for r in (benchlib.parse_backend_line(line)
                                for tail in self.backend_logs
                                for line in tail.lines()) if r]
        benchlib.settled(lambda: sum(
            1 for r in backend_lines() if r['txn'] == txn))
        backend = benchlib.backend_summary(backend_lines(), txn)
        proxy_log = benchlib.proxy_summary(
            [r for r in map(benchlib.parse_proxy_line,
                            self.proxy_logs[proxy].lines()) if r], txn)
        return resp, {
            'seconds': seconds, 'proxy_cpu': cpu, 'txn': txn,
            'backend_requests': backend['requests'],
            'by_server': backend['by_server'],
            'listing_gets': len(backend['listings']),
            'info_heads': backend['info_heads'],
            'listing_rows': self.replay_rows(backend['listings']),
            'listing_bytes': sum(r['length'] for r in backend['listings']),
            'proxy_logged': proxy_log,
        }

    def replay_rows(self, listings):
        """Rows the logged container listings returned: each GET again,
        as logged, to the container server (nothing changed since)."""
        rows = 0
        for record in listings:
            resp = self.http.request('GET', 'http://127.0.0.1:%d%s?%s' % (
                self.container_port, record['path'],
                benchlib.listing_query(record)), headers=RESERVED)
            if resp.status != 200:
                raise BenchError('replay of %s: %d' % (record['path'],
                                                       resp.status))
            rows += benchlib.count_rows(resp.data)
        return rows

    # --- phases -------------------------------------------------------------

    def upload_parts(self, proxy, signed, bucket, raw_container, bodies,
                     count, threads):
        """Upload ``count`` parts (or raw objects); (seconds, proxy CPU)."""
        pid = self.pids[proxy]
        if proxy == 'raw':
            def put(number):
                self.raw('PUT', self.swift_path(
                    raw_container, 'obj-%d' % number),
                    body=bodies[number % len(bodies)])
        else:
            client = self.client(proxy, signed)
            key = 'up-%s-%s' % (proxy, uuid.uuid4().hex[:8])
            upload_id = client.create_multipart_upload(
                Bucket=bucket, Key=key)['UploadId']

            def put(number):
                client.upload_part(
                    Bucket=bucket, Key=key, UploadId=upload_id,
                    PartNumber=number, Body=bodies[number % len(bodies)])
        cpu = benchlib.cpu_seconds(pid, self.clock_ticks)
        start = time.perf_counter()
        parallel(put, range(1, count + 1), threads)
        seconds = time.perf_counter() - start
        cpu = benchlib.cpu_seconds(pid, self.clock_ticks) - cpu
        if proxy == 'raw':
            parallel(lambda n: self.raw('DELETE', self.swift_path(
                raw_container, 'obj-%d' % n)), range(1, count + 1), 4)
        else:
            client.abort_multipart_upload(Bucket=bucket, Key=key,
                                          UploadId=upload_id)
        return seconds, cpu

    def phase_upload(self):
        """UploadPart MiB/s and proxy CPU-s/GiB; raw = Swift PUTs."""
        s = self.settings
        bucket = self.make_bucket('up')
        raw_container = bucket + '-raw'
        self.raw('PUT', self.swift_path(raw_container))
        variants = [('raw', None)] + [(p, signed) for p in S3_PROXIES
                                      for signed in (True, False)]
        results = {}
        for size in s['part_sizes']:
            bodies = [self.body(i, size) for i in range(
                max(1, len(self.data) // size))]
            for threads in s['threads']:
                count = max(threads, s['upload_total'] // size)
                gib = count * size / float(GIB)
                samples = {v: ([], []) for v in variants}
                for rep in range(self.reps):
                    for proxy, signed in rotated(variants, rep):
                        seconds, cpu = self.upload_parts(
                            proxy, signed, bucket, raw_container, bodies,
                            count, threads)
                        samples[(proxy, signed)][0].append(
                            gib * 1024 / seconds)
                        samples[(proxy, signed)][1].append(cpu / gib)
                self.say('upload %d MiB x%d: done' % (size // MIB, threads))
                for (proxy, signed), (mibps, cpu) in samples.items():
                    payload = {None: 'none', True: 'signed',
                               False: 'unsigned'}[signed]
                    results['%dMiB/%dthr/%s/%s' % (
                        size // MIB, threads, payload, proxy)] = {
                        'part_size': size, 'threads': threads,
                        'parts': count, 'payload': payload, 'proxy': proxy,
                        'mib_per_s': summarize(mibps),
                        'proxy_cpu_s_per_gib': summarize(cpu)}
        self.results['upload_part'] = results
        self.results['payload_headers'] = {
            '%s/%s' % (p, 'signed' if signed else 'unsigned'): value
            for (p, signed), value in sorted(self.payload_headers.items())}

    def phase_rss(self):
        """Proxy peak RSS growth while one large object is uploaded."""
        s = self.settings
        bucket = self.make_bucket('rss')
        raw_container = bucket + '-raw'
        self.raw('PUT', self.swift_path(raw_container))
        size, threads = s['rss_part'], s['rss_threads']
        count = s['rss_total'] // size
        bodies = [self.body(i, size) for i in range(len(self.data) // size)]
        samples = {p: ([], []) for p in PROXIES}
        for rep in range(self.reps):
            for proxy in rotated(PROXIES, rep):
                pid = self.pids[proxy]
                benchlib.reset_peak_rss(pid)
                before = benchlib.memory_kib(pid)['VmRSS']
                self.upload_object(proxy, bucket, raw_container, bodies,
                                   count, threads)
                peak = benchlib.memory_kib(pid)['VmHWM']
                samples[proxy][0].append((peak - before) / 1024.0)
                samples[proxy][1].append(before / 1024.0)
        self.results['rss'] = {
            'object_bytes': count * size, 'part_size': size,
            'threads': threads, 'payload': 'signed',
            'proxies': {p: {'growth_mib': summarize(samples[p][0]),
                            'rss_before_mib': summarize(samples[p][1])}
                        for p in PROXIES}}
        self.say('rss: done')

    def upload_object(self, proxy, bucket, raw_container, bodies, count,
                      threads):
        """One object of ``count`` parts, completed, then deleted (raw:
        ``count`` objects of the same sizes)."""
        if proxy == 'raw':
            parallel(lambda n: self.raw('PUT', self.swift_path(
                raw_container, 'obj-%d' % n), body=bodies[n % len(bodies)]),
                range(count), threads)
            parallel(lambda n: self.raw('DELETE', self.swift_path(
                raw_container, 'obj-%d' % n)), range(count), 4)
            return
        client = self.client(proxy, True)
        key = 'rss-%s' % proxy
        upload_id = client.create_multipart_upload(
            Bucket=bucket, Key=key)['UploadId']
        etags = parallel(lambda n: client.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=n,
            Body=bodies[n % len(bodies)])['ETag'], range(1, count + 1),
            threads)
        client.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id,
            MultipartUpload={'Parts': [
                {'ETag': etag, 'PartNumber': n}
                for n, etag in enumerate(etags, 1)]})
        self.raw('DELETE', self.swift_path(bucket, key),
                 query='multipart-manifest=delete')

    def phase_complete(self):
        """ListParts pages, then Complete of the same uploads, reopened
        after each Complete; each proxy its own uploads, of its layout."""
        s = self.settings
        bucket = self.make_bucket('mpu')
        sizes = sorted(set(s['complete_parts']))
        uploads = {}
        for parts in sizes:
            for proxy in S3_PROXIES:
                uploads[(proxy, parts)] = upload = self.make_upload(
                    bucket, 'c%05d-%s' % (parts, proxy), parts, proxy)
                self.save_marker(upload)
        listed = {proxy: uploads.get((proxy, s['listparts_parts'])) or
                  self.make_upload(bucket, 'lp%05d-%s' % (
                      s['listparts_parts'], proxy), s['listparts_parts'],
                      proxy) for proxy in S3_PROXIES}
        self.say('complete: %s parts written' % ', '.join(
            str(n) for n in sorted(set(sizes) | {s['listparts_parts']})))
        self.results['list_parts'] = self.list_parts(listed)
        results = {}
        for parts in sizes:
            samples = {p: [] for p in S3_PROXIES}
            for rep in range(self.reps):
                for proxy in rotated(S3_PROXIES, rep):
                    upload = uploads[(proxy, parts)]
                    resp, seen = self.observe(
                        proxy, lambda: self.client(proxy).
                        complete_multipart_upload(
                            Bucket=bucket, Key=upload.key,
                            UploadId=upload.upload_id,
                            MultipartUpload=upload.complete_body()))
                    seen['etag_ok'] = resp['ETag'].strip('"') == \
                        upload.s3_etag
                    samples[proxy].append(seen)
                    self.reopen(upload)
            results[str(parts)] = {p: report.collect(samples[p])
                                   for p in S3_PROXIES}
            self.say('complete %d parts: done' % parts)
        self.results['complete'] = results

    def list_parts(self, uploads):
        """ListParts (default max-parts 1000) at several markers, of an
        upload of each proxy's layout with the same part count."""
        total = len(uploads['ours'].part_etags)
        markers = [int(total * f) for f in LISTPARTS_MARKERS]
        samples = {(p, m): [] for p in S3_PROXIES for m in markers}
        for rep in range(self.reps):
            for proxy in rotated(S3_PROXIES, rep):
                upload = uploads[proxy]
                for marker in markers:
                    resp, seen = self.observe(
                        proxy, lambda: self.client(proxy).list_parts(
                            Bucket=upload.bucket, Key=upload.key,
                            UploadId=upload.upload_id,
                            PartNumberMarker=marker))
                    numbers = [p['PartNumber'] for p in resp.get(
                        'Parts', [])]
                    seen['answer_ok'] = numbers == list(range(
                        marker + 1, min(total, marker + 1000) + 1))
                    samples[(proxy, marker)].append(seen)
        self.say('list parts: done')
        return {'parts': total, 'markers': markers, 'pages': {
            str(m): {p: report.collect(samples[(p, m)]) for p in S3_PROXIES}
            for m in markers}}

    def phase_lmu(self):
        """ListMultipartUploads of a bucket with uploads in progress (as
        many begun by each proxy), as completed objects are added to it
        (every other one completed by each proxy, on its layout)."""
        s = self.settings
        bucket = self.make_bucket('lmu')
        for i in range(s['lmu_uploads']):
            for proxy in S3_PROXIES:
                self.make_upload(bucket, 'inflight-%03d-%s' % (i, proxy), 1,
                                 proxy)
        results = {'uploads': s['lmu_uploads'],
                   'parts_per_completed_object': s['lmu_completed_parts'],
                   'completed': {}}
        done = 0
        for count in sorted(set(s['lmu_completed'])):
            for i in range(done, count):
                proxy = S3_PROXIES[i % len(S3_PROXIES)]
                upload = self.make_upload(bucket, 'done-%03d' % i,
                                          s['lmu_completed_parts'], proxy)
                self.client(proxy).complete_multipart_upload(
                    Bucket=bucket, Key=upload.key, UploadId=upload.upload_id,
                    MultipartUpload=upload.complete_body())
            done = count
            results['completed'][str(count)] = dict(
                self.list_uploads(bucket), segment_objects=self.object_count(
                    layout.segments_container(bucket)))
            self.say('list uploads, %d completed objects: done' % count)
        self.results['list_uploads'] = results

    def object_count(self, container):
        return int(self.raw('HEAD', self.swift_path(container)).headers[
            'X-Container-Object-Count'])

    def list_uploads(self, bucket):
        samples = {p: [] for p in S3_PROXIES}
        for rep in range(self.reps):
            for proxy in rotated(S3_PROXIES, rep):
                resp, seen = self.observe(
                    proxy, lambda: self.client(proxy).list_multipart_uploads(
                        Bucket=bucket))
                keys = [u['Key'] for u in resp.get('Uploads', [])]
                seen['answer_ok'] = len(keys) == \
                    self.settings['lmu_uploads'] and all(
                        k.endswith('-' + proxy) for k in keys)
                samples[proxy].append(seen)
        return {p: report.collect(samples[p]) for p in S3_PROXIES}

    def cleanup(self):
        """Delete every container this run made, with its objects (on a
        SAIO we did not start; ours is wiped)."""
        prefix = 'bench-%s-' % self.run_id
        containers = json.loads(self.raw(
            'GET', '/v1/%s' % self.account,
            query='format=json&prefix=' + prefix).data)
        for container in containers:
            while True:
                names = [o['name'] for o in json.loads(self.raw(
                    'GET', self.swift_path(container['name']),
                    query='format=json').data)]
                if not names:
                    break
                parallel(lambda name: self.raw('DELETE', self.swift_path(
                    container['name'], name)), names, SETUP_THREADS)
            self.raw('DELETE', self.swift_path(container['name']))

    # --- running ------------------------------------------------------------

    def say(self, text):
        print('[%s] %s' % (time.strftime('%H:%M:%S'), text), file=self.out)
        self.out.flush()

    def run(self, phases):
        # other work on the machine shows in the timings: say how much
        load = {'start': os.getloadavg()}
        for proxy in S3_PROXIES:  # connections and signing keys
            self.client(proxy).list_buckets()
        for phase in phases:
            getattr(self, 'phase_' + phase)()
        load['end'] = os.getloadavg()
        self.results['load_average'] = load
        return self.results


def start_own_saio(port, state_dir=None):
    state_dir = state_dir or tempfile.mkdtemp(prefix='s3mp-bench-')
    saio = Saio(state_dir, base_port=port, proxies=PROXIES,
                s3api_options=BENCH_S3API_OPTIONS)
    saio.start()
    return saio


def make_parser():
    parser = argparse.ArgumentParser(
        prog='bench/run', description=__doc__.split('\n\n')[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument('--quick', dest='mode', action='store_const',
                       const='quick', help='small sizes, a few minutes '
                       '(default; what CI runs)')
    which.add_argument('--full', dest='mode', action='store_const',
                       const='full', help='every size of issue 5 (the '
                       "README's figures)")
    parser.add_argument('--json', metavar='FILE',
                        help='write every figure to FILE')
    parser.add_argument('--reps', type=int,
                        help='repetitions of each measurement (>= 3; '
                        'default 3 in quick mode, 5 in full mode)')
    parser.add_argument('--state-dir', help='use the SAIO running there '
                        '(else start one there, or in a temp dir)')
    parser.add_argument('--port', type=int, default=BASE_PORT,
                        help='base port of a SAIO we start (uses 20 ports; '
                        'default %d)' % BASE_PORT)
    parser.add_argument('--only', default=','.join(PHASES),
                        help='comma-separated phases (default: %s)'
                        % ','.join(PHASES))
    return parser


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


def main(argv=None, out=sys.stdout):
    args = make_parser().parse_args(argv)
    mode = args.mode or 'quick'
    reps = args.reps or MODES[mode]['reps']
    phases = [p.strip() for p in args.only.split(',') if p.strip()]
    if set(phases) - set(PHASES) or reps < 3:
        print('bench: phases are %s; --reps must be at least 3'
              % ', '.join(PHASES), file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _terminate)
    saio = None
    if args.state_dir and Saio.load(args.state_dir).is_running():
        saio = Saio.load(args.state_dir)
    started = None
    started_at = time.time()
    code = report.source()  # what the proxies we start will run
    try:
        if saio is None:
            saio = started = start_own_saio(args.port, args.state_dir)
        bench = Bench(saio, mode, reps, out=out)
        bench.say('%s mode, SAIO in %s' % (mode, saio.state_dir))
        results = bench.run(phases)
        if started is None:
            bench.say('deleting what this run stored')
            bench.cleanup()
        doc = report.document(mode, reps, bench.settings, results,
                              time.time() - started_at, code)
    except (BenchError, SaioError) as err:
        print('bench: %s' % err, file=sys.stderr)
        return 2
    finally:
        if started is not None:
            started.stop()
            started.wipe()
            if not args.state_dir:
                shutil.rmtree(started.state_dir, ignore_errors=True)
    if args.json:
        with open(args.json, 'w') as fp:
            json.dump(doc, fp, indent=1, sort_keys=True)
            fp.write('\n')
    print(report.text(doc), file=out)
    return 0 if all(a['passed'] for a in doc['assertions']) else 1


if __name__ == '__main__':
    sys.exit(main())
