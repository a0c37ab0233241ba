"""Hostile input: fuzzed requests, crafted bodies, odd names.

``TestFuzz`` has hypothesis generate signed requests against our proxy:
Complete bodies, the query parameters of every multipart operation
(partNumber, uploadId, markers, max-*), UploadPartCopy's copy-source
headers and GET/HEAD ranges; 10,000 cases in all (``S3MP_FUZZ_CASES``),
from seed ``S3MP_FUZZ_SEED`` (fixed by default: CI runs the same cases;
set another to explore). No answer may be a 5xx, and our proxy's log may
show no traceback. ``TestHostileInput`` sends XML entity expansion and
external entities, oversized and endless Complete bodies, upload ids with
``/``, ``..``, NUL and unicode, and keys at and past the 1024-byte limit.

The run prints ``fuzz: N cases ...`` with the histogram of statuses.
"""

import base64
import collections
import hashlib
import os
import re
import socket
import threading
import time
import unittest

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from test.functional import extra_saio, figures
from test.functional.base import BucketTestCase, md5_hex, saio, MIN_PART
from test.functional.figures import print_figures  # noqa: F401
from test.functional.fuzz_strategies import COPY_HEADERS, NUMBERS, \
    QUERY_CASES, RANGES, REAL_ETAG, REAL_UPLOAD, UPLOAD_IDS, \
    complete_bodies, copy_sources
from test.functional.rawhttp import SignedClient, quote_key, query_string, \
    UNSIGNED_PAYLOAD

CASES = int(os.environ.get('S3MP_FUZZ_CASES', '10000'))
SEED = int(os.environ.get('S3MP_FUZZ_SEED', '20240607'))
# share of CASES per kind of request
SHARES = (('complete_xml', 0.25), ('query', 0.35), ('copy_source', 0.2),
          ('range', 0.2))
STATUSES = collections.Counter()
RUN = collections.Counter()
LOG_PROBLEMS = []
# every part the fuzz uploads has these bytes (so one ETag)
PART = b'p' * MIN_PART
MAX_COMPLETE_BODY = 2 * 1024 * 1024


def tearDownModule():
    if RUN:
        figures.record('fuzz', '%d cases (%s), seed %d; statuses %s; '
                       '5xx = %d; proxy log problems = %d' % (
                           sum(RUN.values()), ', '.join(
                               '%s %d' % kv for kv in sorted(RUN.items())),
                           SEED, dict(sorted(STATUSES.items())),
                           sum(n for s, n in STATUSES.items() if s >= 500),
                           len(LOG_PROBLEMS)))


def fuzz_settings(kind):
    share = dict(SHARES)[kind]
    return settings(max_examples=max(1, int(CASES * share)), deadline=None,
                    database=None, print_blob=True,
                    suppress_health_check=list(HealthCheck))


def log_problems(path, offset):
    """Lines of the proxy log after ``offset`` a request must not cause."""
    with open(path, 'rb') as f:
        f.seek(offset)
        text = f.read().decode('utf-8', 'replace')
    return [line for line in text.splitlines()
            if 'Traceback' in line or 'InternalError' in line or
            ' ERROR ' in line or re.search(r' HTTP/1\.[01] 5\d\d ', line)]


class FuzzTarget(object):
    """A bucket with an upload in progress (``obj``), a multipart object
    (``done``) and a plain one (``plain``), through our proxy."""

    def __init__(self, test):
        self.test = test
        env = saio().env()
        user = 'test:tester'
        self.http = SignedClient(env['endpoint'], user, env['users'][user],
                                 env['region'])
        self.bucket = test.bucket
        self.etag = md5_hex(PART)
        done = test.create('done')
        test.complete(done, [test.upload(done, 1, PART, key='done'),
                             test.upload(done, 2, b'last', key='done')],
                      key='done')
        self.done = PART + b'last'
        self.plain = os.urandom(3000)
        test.s3.put_object(Bucket=self.bucket, Key='plain', Body=self.plain)
        self.new_upload()

    def new_upload(self):
        self.upload_id = self.test.create('obj')
        for number in (1, 2):
            self.test.upload(self.upload_id, number, PART)

    def fill(self, text):
        return text.replace(REAL_UPLOAD, self.upload_id).replace(
            REAL_ETAG, self.etag).replace('{b}', self.bucket)

    def send(self, kind, method, key, query=(), body=b'', headers=None):
        """One case; fails on a 5xx. :returns: (status, headers, body)"""
        path = '/' + self.bucket
        if key is not None:
            path += '/' + self.fill(key)
        path = quote_key(path)
        if query:
            path += '?' + query_string(
                [(self.fill(k), None if v is None else self.fill(v))
                 for k, v in query])
        headers = {k: self.fill(v) for k, v in (headers or {}).items()}
        status, resp_headers, data = self.http.request(
            method, path, body, headers)
        RUN[kind] += 1
        STATUSES[status] += 1
        self.test.assertLess(status, 500, '%s %s %r -> %d %s' % (
            method, path, headers, status, data[:1000]))
        if method == 'POST' and 'uploadId=' in path and status == 200 or \
                method == 'DELETE' and status == 204:
            # the fuzz completed or aborted the upload: another one
            self.new_upload()
        return status, resp_headers, data


class TestFuzz(BucketTestCase):
    def setUp(self):
        super(TestFuzz, self).setUp()
        self.target = FuzzTarget(self)
        self.addCleanup(self.target.http.close)
        self.log = saio().proxy_log
        self.log_offset = os.path.getsize(self.log)

    def tearDown(self):
        problems = log_problems(self.log, self.log_offset)
        LOG_PROBLEMS.extend(problems)
        self.assertEqual([], problems[:20], 'our proxy logged problems')
        super(TestFuzz, self).tearDown()

    def test_complete_xml(self):
        target = self.target

        @seed(SEED)
        @fuzz_settings('complete_xml')
        @given(body=complete_bodies(), with_md5=st.booleans())
        def case(body, with_md5):
            body = target.fill(body.decode('utf-8', 'surrogateescape')).encode(
                'utf-8', 'surrogateescape')
            headers = {'Content-MD5': base64.b64encode(hashlib.md5(
                body).digest()).decode('ascii')} if with_md5 else {}
            target.send('complete_xml', 'POST', 'obj',
                        [('uploadId', REAL_UPLOAD)], body, headers)

        case()

    def test_query(self):
        target = self.target

        @seed(SEED)
        @fuzz_settings('query')
        @given(case=QUERY_CASES)
        def case(case):
            method, key, query = case
            target.send('query', method, key, query,
                        PART if method == 'PUT' else b'')

        case()

    def test_copy_source(self):
        target = self.target

        @seed(SEED)
        @fuzz_settings('copy_source')
        @given(source=copy_sources(), headers=COPY_HEADERS,
               number=st.one_of(st.just('1'), NUMBERS),
               upload_id=st.one_of(st.just(REAL_UPLOAD), UPLOAD_IDS))
        def case(source, headers, number, upload_id):
            headers = dict(headers, **{'x-amz-copy-source': source})
            target.send('copy_source', 'PUT', 'obj',
                        [('partNumber', number), ('uploadId', upload_id)],
                        headers=headers)

        case()

    def test_range(self):
        target = self.target
        objects = {'done': target.done, 'plain': target.plain}

        @seed(SEED)
        @fuzz_settings('range')
        @given(method=st.sampled_from(['GET', 'HEAD']),
               key=st.sampled_from(sorted(objects)), range_=RANGES,
               number=st.one_of(st.none(), NUMBERS))
        def case(method, key, range_, number):
            query = [] if number is None else [('partNumber', number)]
            status, headers, body = target.send(
                'range', method, key, query, headers={'Range': range_})
            if method == 'GET' and status == 200 and number is None:
                self.assertEqual(objects[key], body)
            if method == 'GET' and status == 206 and \
                    'multipart' not in headers.get('content-type', ''):
                first, last = map(int, re.match(
                    r'bytes (\d+)-(\d+)/', headers['content-range']).groups())
                self.assertEqual(objects[key][first:last + 1], body)

        case()


# --- crafted input --------------------------------------------------------

BILLION_LAUGHS = b'''<?xml version="1.0"?>
<!DOCTYPE CompleteMultipartUpload [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
]>
<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>
<ETag>&g;</ETag></Part></CompleteMultipartUpload>'''


def complete_doc(etag, prolog=b'', number=1):
    return prolog + (
        '<CompleteMultipartUpload><Part><PartNumber>%d</PartNumber>'
        '<ETag>%s</ETag></Part></CompleteMultipartUpload>' % (
            number, etag)).encode('utf-8')


def read_response(sock, data=b''):
    """(status line, body) of the response that ``sock`` receives (or
    began to, in ``data``); reads no further than its Content-Length: the
    server may wait for the rest of our body."""
    while b'\r\n\r\n' not in data:
        more = sock.recv(65536)
        if not more:
            break
        data += more
    head, _, body = data.partition(b'\r\n\r\n')
    length = re.search(br'(?i)\r\ncontent-length: *(\d+)', head)
    while length and len(body) < int(length.group(1)):
        more = sock.recv(65536)
        if not more:
            break
        body += more
    return head.split(b'\r\n', 1)[0], body


class Listener(object):
    """A TCP port on loopback that counts the connections made to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.done.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self.done.set()
        self.thread.join()
        self.sock.close()


class HostileTestCase(BucketTestCase):
    """An upload with two parts; ``assertUnchanged`` checks that nothing
    a request did changed it, nor added anything to the bucket."""

    def setUp(self):
        super(HostileTestCase, self).setUp()
        env = saio().env()
        self.http = SignedClient(env['endpoint'], 'test:tester',
                                 env['users']['test:tester'], env['region'])
        self.addCleanup(self.http.close)
        self.upload_id = self.create()
        self.parts = [self.upload(self.upload_id, n, PART) for n in (1, 2)]
        self.before = self.state()

    def state(self):
        parts = self.s3.list_parts(Bucket=self.bucket, Key='obj',
                                   UploadId=self.upload_id)['Parts']
        return ([(p['PartNumber'], p['ETag'], p['Size']) for p in parts],
                sorted(self.segments()),
                self.s3.list_objects_v2(Bucket=self.bucket)['KeyCount'])

    def assertUnchanged(self):
        self.assertEqual(self.before, self.state())

    def send(self, method, key, query=(), body=b'', headers=None):
        path = quote_key('/%s/%s' % (self.bucket, key))
        if query:
            path += '?' + query_string(query)
        status, resp_headers, data = self.http.request(
            method, path, body, headers)
        self.assertLess(status, 500, data)
        return status, resp_headers, data

    def assertError(self, code, status, resp):
        self.assertEqual((status, code), (resp[0], re.search(
            br'<Code>(.*?)</Code>', resp[2]).group(1).decode()), resp[2])


class TestHostileComplete(HostileTestCase):
    def complete_raw(self, body, headers=None):
        return self.send('POST', 'obj', [('uploadId', self.upload_id)],
                         body, headers)

    def test_entity_expansion_refused(self):
        started = time.time()
        resp = self.complete_raw(BILLION_LAUGHS)
        self.assertError('MalformedXML', 400, resp)
        # 20**6 entities were not expanded
        self.assertLess(time.time() - started, 5)
        self.assertUnchanged()

    def test_external_entities_refused_and_not_fetched(self):
        listener = Listener()
        self.addCleanup(listener.close)
        url = 'http://127.0.0.1:%d/x' % listener.port
        bodies = [
            # a file of the proxy's host
            complete_doc('&x;', b'<!DOCTYPE CompleteMultipartUpload '
                         b'[<!ENTITY x SYSTEM "file:///etc/passwd">]>'),
            # a URL
            complete_doc('&x;', ('<!DOCTYPE CompleteMultipartUpload '
                                 '[<!ENTITY x SYSTEM "%s">]>' % url).encode()),
            # an external DTD, a parameter entity
            complete_doc(self.parts[0]['ETag'], (
                '<!DOCTYPE CompleteMultipartUpload SYSTEM "%s">' % url
            ).encode()),
            complete_doc(self.parts[0]['ETag'], (
                '<!DOCTYPE CompleteMultipartUpload [<!ENTITY %% p SYSTEM '
                '"%s"> %%p;]>' % url).encode()),
            # XInclude
            ('<CompleteMultipartUpload xmlns:xi="http://www.w3.org/2001/'
             'XInclude"><Part><PartNumber>1</PartNumber><ETag><xi:include '
             'href="%s" parse="text"/></ETag></Part>'
             '</CompleteMultipartUpload>' % url).encode(),
        ]
        for body in bodies:
            status, _headers, data = self.complete_raw(body)
            self.assertEqual(400, status, data)
            self.assertIn(re.search(br'<Code>(.*?)</Code>', data).group(1),
                          (b'MalformedXML', b'InvalidPart'), data)
            self.assertNotIn(b'root:', data)
        time.sleep(0.3)
        self.assertEqual(0, listener.connections)
        self.assertUnchanged()

    def open_complete(self, headers):
        """A socket that has sent the head of a Complete (its payload
        unsigned) and none of its body."""
        path = '/%s/obj?uploadId=%s' % (self.bucket, self.upload_id)
        signed = self.http.sign('POST', path, headers=headers,
                                payload_hash=UNSIGNED_PAYLOAD)
        sock = socket.create_connection((self.http.host, self.http.port),
                                        timeout=10)
        self.addCleanup(sock.close)
        head = 'POST %s HTTP/1.1\r\nHost: %s:%d\r\n%s\r\n' % (
            path, self.http.host, self.http.port,
            ''.join('%s: %s\r\n' % kv for kv in signed.items()))
        sock.sendall(head.encode('latin-1'))
        return sock

    def assertMalformedXML(self, response):
        status_line, body = response
        self.assertTrue(status_line.startswith(b'HTTP/1.1 400 '), status_line)
        self.assertIn(b'<Code>MalformedXML</Code>', body)

    def test_oversized_body_refused_before_read(self):
        """Content-Length of 64 MiB: the answer comes while the client has
        sent 64 KiB of it."""
        sock = self.open_complete({'Content-Length': str(64 * 1024 * 1024)})
        sock.sendall(b'<' * 65536)
        self.assertMalformedXML(read_response(sock))
        self.assertUnchanged()

    def test_endless_chunked_body_refused(self):
        """A chunked body that never ends: refused once past the 2 MiB a
        Complete body may have, not read to the end."""
        sock = self.open_complete({'Transfer-Encoding': 'chunked'})
        chunk = b'%x\r\n%s\r\n' % (65536, b'<' * 65536)
        sent = 0
        sock.setblocking(False)
        answer = b''
        deadline = time.time() + 30
        while not answer and time.time() < deadline and \
                sent < 64 * MAX_COMPLETE_BODY:
            try:
                answer = sock.recv(4096)
            except BlockingIOError:
                pass
            else:
                break
            try:
                sent += sock.send(chunk)
            except BlockingIOError:
                time.sleep(0.01)
        sock.settimeout(10)
        self.assertMalformedXML(read_response(sock, answer))
        # the proxy read at most the limit and a chunk before answering;
        # what the client had sent beyond sits in socket buffers
        self.assertLess(sent, 16 * MAX_COMPLETE_BODY)
        self.assertUnchanged()


HOSTILE_UPLOAD_IDS = (
    'a/b', '/', '..', '../..', '.', '%2F', '', ' ', '\x00', 'x\x00y',
    '\u00fcn\u00efc\u00f8d\u00e9', '\U0001f600', '\u202e', 'x' * 2048)


class TestHostileNames(HostileTestCase):
    def hostile_ids(self):
        """Upload ids that are not, around and about the real one."""
        real = self.upload_id
        # (an id of our layout is lower case already: .lower() is real)
        return HOSTILE_UPLOAD_IDS + tuple(i for i in (
            real + '/..', real + '/1', real + '/', '../' + real, real + '\x00',
            real + '\x00/1', real[:-1], real.lower(), real + '\u00fc',
            '%s/../%s' % (real, real)) if i != real)

    def test_upload_ids(self):
        """Every multipart operation with every odd upload id: 404
        NoSuchUpload, and nothing changes."""
        etag = self.parts[0]['ETag']
        operations = [
            ('GET', 'obj', [], b'', {}),                        # ListParts
            ('PUT', 'obj', [('partNumber', '1')], PART, {}),    # UploadPart
            ('PUT', 'obj', [('partNumber', '3')], b'', {        # ...Copy
                'x-amz-copy-source': quote_key('/%s/obj' % self.bucket)}),
            ('POST', 'obj', [], complete_doc(etag), {}),        # Complete
            ('DELETE', 'obj', [], b'', {}),                     # Abort
            # the real upload's key, another key
            ('GET', 'other', [], b'', {}),
            ('DELETE', 'obj/' + self.upload_id, [], b'', {}),
        ]
        checked = 0
        for upload_id in self.hostile_ids():
            for method, key, query, body, headers in operations:
                resp = self.send(method, key, query + [
                    ('uploadId', upload_id)], body, headers)
                with self.subTest(method=method, key=key,
                                  upload_id=upload_id):
                    self.assertError('NoSuchUpload', 404, resp)
                checked += 1
        self.assertUnchanged()
        figures.record('hostile names', '%d requests with %d odd upload '
                       'ids: NoSuchUpload, nothing changed' % (
                           checked, len(self.hostile_ids())))

    def create_raw(self, key):
        status, _headers, body = self.send('POST', key, [('uploads', None)])
        if status == 200:
            return re.search(r'<UploadId>(.*?)</UploadId>',
                             body.decode()).group(1)
        self.assertError('KeyTooLongError', 400, (status, _headers, body))
        return None

    def longest_multipart_key(self):
        """The longest key Create accepts, between 1 and 1024 bytes."""
        low, high = 1, 1024
        while low < high:
            middle = (low + high + 1) // 2
            upload_id = self.create_raw('k' * middle)
            if upload_id:
                self.send('DELETE', 'k' * middle, [('uploadId', upload_id)])
                low = middle
            else:
                high = middle - 1
        return low

    def test_keys_at_and_past_1024_bytes(self):
        """A key of 1024 bytes is a valid S3 key; in Swift the parts live
        at ``<key>/<upload id>/<n>``, which must fit in 1024 bytes too, so
        the longest multipart key is shorter: Create refuses a longer one
        with KeyTooLongError, and the longest one works end to end.
        https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html
        """
        longest = self.longest_multipart_key()
        # the upload id and the part number take at most ~80 bytes
        self.assertGreater(longest, 900)
        for length in (longest + 1, 1024, 1025, 2048):
            self.assertIsNone(self.create_raw('k' * length))
        # 4-byte characters: the limit is in bytes
        self.assertIsNone(self.create_raw('\U0001f600' * 256))
        key = 'k' * (longest - 4) + '\U0001f600'
        self.assertEqual(longest, len(key.encode('utf-8')))
        upload_id = self.create(key)
        parts = [self.upload(upload_id, 1, PART, key=key),
                 self.upload(upload_id, 2, b'last', key=key)]
        listed = self.s3.list_parts(Bucket=self.bucket, Key=key,
                                    UploadId=upload_id)
        self.assertEqual([1, 2], [p['PartNumber'] for p in listed['Parts']])
        self.assertIn(key, [u['Key'] for u in self.s3.list_multipart_uploads(
            Bucket=self.bucket)['Uploads']])
        self.complete(upload_id, parts, key=key)
        self.assertEqual(PART + b'last', self.read(key))
        # a plain object of 1024 bytes copies into a part
        plain = 'p' * 1024
        self.s3.put_object(Bucket=self.bucket, Key=plain, Body=PART)
        copied = self.s3.upload_part_copy(
            Bucket=self.bucket, Key='obj', UploadId=self.upload_id,
            PartNumber=3, CopySource={'Bucket': self.bucket, 'Key': plain})
        self.assertEqual(self.parts[0]['ETag'],
                         copied['CopyPartResult']['ETag'])
        # past 1024 bytes: every operation answers KeyTooLongError or
        # NoSuchUpload (no upload can have such a key), never 5xx
        for key in ('k' * 1025, 'k' * 4096):
            for method, query, body in (
                    ('POST', [('uploads', None)], b''),
                    ('GET', [('uploadId', self.upload_id)], b''),
                    ('PUT', [('partNumber', '1'),
                             ('uploadId', self.upload_id)], PART),
                    ('POST', [('uploadId', self.upload_id)],
                     complete_doc(self.parts[0]['ETag'])),
                    ('DELETE', [('uploadId', self.upload_id)], b'')):
                resp = self.send(method, key, query, body)
                self.assertIn((resp[0], re.search(
                    br'<Code>(.*?)</Code>', resp[2]).group(1)), (
                        (400, b'KeyTooLongError'), (404, b'NoSuchUpload')),
                    resp[2])
        figures.record('hostile names', 'keys: multipart up to %d bytes, '
                       'longer ones KeyTooLongError; past 1024 bytes '
                       'KeyTooLongError or NoSuchUpload' % longest)


# a key with a character XML 1.0 cannot carry
CONTROL_KEY = 'a\x14b'


class TestFuzzFindings(unittest.TestCase):
    """Bugs the fuzz found, each as small as it gets; they run on a SAIO of
    their own (base port + 220, ``$S3MP_BUGS_BASE_PORT``), since the
    session fails on any traceback in its SAIO's log."""

    @classmethod
    def setUpClass(cls):
        cls.saio = extra_saio.start('bugs', 220)
        cls.http = extra_saio.signed_client(cls.saio)
        cls.bucket = 'bugs'
        assert cls.http.request('PUT', '/bugs')[0] == 200

    @classmethod
    def tearDownClass(cls):
        cls.http.close()
        extra_saio.stop(cls.saio)

    def send(self, method, key, query=(), body=b''):
        path = quote_key('/%s/%s' % (self.bucket, key) if key is not None
                         else '/' + self.bucket)
        if query:
            path += '?' + query_string(query)
        return self.http.request(method, path, body)

    def upload_with_control_key(self):
        """The id of an upload of CONTROL_KEY. Ours refuses to create one
        (see below); stock s3api writes the marker, then answers 500."""
        stock = extra_saio.signed_client(self.saio, proxy='stock')
        try:
            stock.request('POST', quote_key('/%s/%s' % (
                self.bucket, CONTROL_KEY)) + '?uploads', b'')
        finally:
            stock.close()
        listing = self.send('GET', None, [('uploads', None),
                                          ('encoding-type', 'url')])[2]
        return re.findall(r'<Key>a%14b</Key><UploadId>([^<]+)</UploadId>',
                          listing.decode())[0]

    # FIXED BUG: POST /bugs/a%14b?uploads answered 500 (and left the
    # upload behind; stock s3api does both): lxml refused the key in the
    # InitiateMultipartUploadResult. Now 400 InvalidArgument before
    # anything is written: every answer about the upload carries the key.
    def test_create_key_with_control_character(self):
        status, _headers, body = self.send('POST', 'c\x14',
                                           [('uploads', None)])
        self.assertEqual(400, status, body)
        self.assertIn(b'<Code>InvalidArgument</Code>', body)
        listing = self.send('GET', None, [('uploads', None),
                                          ('encoding-type', 'url')])[2]
        self.assertNotIn(b'<Key>c%14</Key>', listing)

    # FIXED BUG: GET /bugs?uploads&prefix=a%14 (also key-marker,
    # delimiter, upload-id-marker) answered 500; now 400 InvalidArgument.
    def test_list_uploads_prefix_with_control_character(self):
        for name in ('prefix', 'key-marker', 'delimiter'):
            status, _headers, body = self.send('GET', None, [
                ('uploads', None), (name, 'a\x14')])
            self.assertEqual(400, status, body)

    # FIXED BUG: an upload of such a key (stock s3api makes one) made
    # ListParts, ListMultipartUploads and Complete answer 500; the key is
    # now URL-encoded in those documents, as encoding-type=url would.
    def test_list_parts_key_with_control_character(self):
        upload_id = self.upload_with_control_key()
        status, _headers, body = self.send('GET', CONTROL_KEY, [
            ('uploadId', upload_id)])
        self.assertEqual(200, status, body)
        self.assertIn(b'<Key>a%14b</Key>', body)
        status, _headers, body = self.send('GET', None, [('uploads', None)])
        self.assertEqual(200, status, body)

    def test_complete_key_with_control_character(self):
        upload_id = self.upload_with_control_key()
        etag = self.send('PUT', CONTROL_KEY, [('partNumber', '1'), (
            'uploadId', upload_id)], PART)[1]['etag']
        status, _headers, body = self.send('POST', CONTROL_KEY, [(
            'uploadId', upload_id)], complete_doc(etag))
        self.assertEqual(200, status, body)
        self.assertIn(b'<Key>a%14b</Key>', body)

    # FIXED BUG: an upload id that is not ASCII came back double-encoded
    # in NoSuchUpload's <UploadId> (a WSGI string, not decoded).
    def test_unicode_upload_id_echoed_as_sent(self):
        status, _headers, body = self.send('GET', 'obj', [
            ('uploadId', '\u00fc')])
        self.assertEqual(404, status)
        self.assertIn('<UploadId>\u00fc</UploadId>', body.decode('utf-8'))

    # FIXED BUG: Complete of an upload that does not exist, with an ETag
    # that is no MD5, answered 400 InvalidPart; AWS and stock s3api answer
    # 404 NoSuchUpload.
    def test_complete_missing_upload_bad_etag(self):
        status, _headers, body = self.send(
            'POST', 'obj', [('uploadId', 'nope')], complete_doc('x'))
        self.assertEqual(404, status, body)
        self.assertIn(b'<Code>NoSuchUpload</Code>', body)
