"""A strict fake Swift backend, a fake auth layer and S3 request signing.

FakeSwift answers only what a test registered, matching method and path with
query string exactly; anything else raises KeyError, so an unexpected
backend request fails the test.
"""

import json
import time
from urllib.parse import parse_qsl
from email.utils import formatdate

from botocore.auth import HmacV1Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from swift.common import swob
from swift.common.header_key_dict import HeaderKeyDict
from swift.common.utils import split_path
from swift.common.utils.timestamp import Timestamp

USERS = {'test:tester': 'testing', 'test:tester2': 'testing2'}


class FakeSwift(object):
    """Records ``calls`` as (method, path?query) and the request bodies."""

    def __init__(self):
        self._responses = {}
        self._containers = {}
        self.calls = []
        self.bodies = []
        # (method, path): responses still to come (see register_then)
        self._then = {}
        # path: headers of what a PUT stored there (see register_stored)
        self._stored = {}
        # the footers a PUT's footer callback gave, per call
        self.footers = []
        self.headers = []
        # requests nobody registered: s3api turns our KeyError into a 500,
        # so tests also check that this stays empty
        self.unexpected = []

    def register(self, method, path, status, headers=None, body=b''):
        if isinstance(body, tuple):
            pass  # chunks, sent one by one
        elif not isinstance(body, bytes):
            body = json.dumps(body).encode('utf8')
        self._responses[(method, path)] = (status, headers or {}, body)

    def register_stored(self, path):
        """
        An object at ``path`` that PUT writes (headers kept, with an
        X-Timestamp), HEAD reads (404 until written) and DELETE removes,
        unless a response is registered for the method. As on Swift, a
        write not newer than what is there (data or tombstone) is refused
        (the proxy answers 202), and a 404 of a deleted object carries the
        deletion's X-Backend-Timestamp.
        """
        self._stored[path] = None

    def _store(self, method, path, env):
        found = self._stored[path]
        when = env.get('HTTP_X_TIMESTAMP') or '%.5f' % time.time()
        held = found and (found.get('X-Timestamp') or
                          found.get('X-Backend-Timestamp'))
        live = found and 'X-Timestamp' in found
        if method in ('PUT', 'DELETE') and held and \
                Timestamp(held) >= Timestamp(when):
            if method == 'PUT':
                return swob.HTTPAccepted()
            return swob.HTTPConflict() if live else swob.HTTPNotFound()
        if method == 'PUT':
            headers = {k: v for k, v in swob.HeaderEnvironProxy(env).items()
                       if k.lower().startswith(('x-object-', 'content-type'))}
            headers['X-Timestamp'] = when
            self._stored[path] = headers
            return swob.HTTPCreated()
        if method == 'DELETE':
            self._stored[path] = {'X-Backend-Timestamp': when}
            return swob.HTTPNoContent() if live else swob.HTTPNotFound()
        if not live:
            return swob.HTTPNotFound(headers=found or {})
        return swob.Response(status=200, headers=found)

    def register_then(self, method, path, *responses):
        """
        Answer ``method path`` with each (status, headers) in turn, the
        last one from then on.
        """
        self._then[(method, path)] = list(responses)

    def register_listing(self, path, rows):
        """A JSON container listing page (and its empty next page)."""
        self.register('GET', path, 200,
                      {'Content-Type': 'application/json'}, rows)

    def register_container(self, path, rows):
        """
        A container whose JSON listings (GET ``path?format=json...``) are
        answered like Swift's: rows in name order, with prefix, marker,
        end_marker and limit (default 10000) applied. Other requests to
        ``path`` still need registering.
        """
        self._containers[path] = sorted(rows, key=lambda r: r['name'])

    def _listing(self, path, query):
        params = dict(parse_qsl(query, keep_blank_values=True))
        if params.get('format') != 'json':
            return None
        rows = [r for r in self._containers[path]
                if r['name'].startswith(params.get('prefix', ''))
                and r['name'] > params.get('marker', '')
                and ('end_marker' not in params
                     or r['name'] < params['end_marker'])]
        return rows[:int(params.get('limit', 10000))]

    def __call__(self, env, start_response):
        method = env['REQUEST_METHOD']
        path = env['PATH_INFO']
        if env.get('QUERY_STRING'):
            path += '?' + env['QUERY_STRING']
        body = b''
        if method in ('PUT', 'POST') and 'wsgi.input' in env:
            body = env['wsgi.input'].read()
        self.calls.append((method, path))
        coming = self._then.get((method, path))
        if coming:
            self.register(method, path, *(
                coming.pop(0) if len(coming) > 1 else coming[0]))
        self.bodies.append(body)
        self.headers.append(HeaderKeyDict(swob.HeaderEnvironProxy(env)))
        footers = HeaderKeyDict()
        self.footers.append(footers)
        callback = env.get('swift.callback.update_footers')
        if method == 'PUT' and callback:
            # as the proxy: once the body is read, before the object
            # servers commit; an HTTPException drops the PUT
            try:
                callback(footers)
            except swob.HTTPException as err:
                return err(env, start_response)
        if method == 'GET' and env['PATH_INFO'] in self._containers and \
                (method, path) not in self._responses:
            rows = self._listing(env['PATH_INFO'],
                                 env.get('QUERY_STRING', ''))
            if rows is not None:
                return swob.Response(
                    status=200, body=json.dumps(rows).encode('utf8'),
                    content_type='application/json',
                    request=swob.Request(env))(env, start_response)
        if (method, path) not in self._responses and path in self._stored:
            return self._store(method, path, env)(env, start_response)
        if (method, path) not in self._responses:
            self.unexpected.append((method, path))
            raise KeyError((method, path))
        status, headers, resp_body = self._responses[(method, path)]
        headers = dict(headers)
        if isinstance(resp_body, tuple):
            resp = swob.Response(status=status, headers=headers,
                                 app_iter=iter(resp_body),
                                 request=swob.Request(env))
            return resp(env, start_response)
        headers.setdefault('Content-Length', str(len(resp_body)))
        if method == 'HEAD':
            resp_body = b''
        resp = swob.Response(status=status, headers=headers, body=resp_body,
                             request=swob.Request(env))
        return resp(env, start_response)


class FakeAuth(object):
    """Checks s3api's signature like tempauth and maps the access key's
    account (``/v1/test:tester``) to ``/v1/AUTH_test``."""

    def __init__(self, app, users=None, read_only=()):
        self.app = app
        self.users = users or USERS
        # users whose writes swift.authorize refuses
        self.read_only = set(read_only)
        self.authorized = []

    def authorize(self, req):
        """swift.authorize, as the proxy and our Complete call it."""
        self.authorized.append((req.method, req.path_info))
        if req.method in ('PUT', 'POST', 'DELETE') and \
                req.remote_user in self.read_only:
            return swob.HTTPForbidden(request=req)
        return None

    def __call__(self, env, start_response):
        details = env.get('s3api.auth_details')
        if details:
            secret = self.users.get(details['access_key'])
            if secret is None or not details['check_signature'](secret):
                return swob.HTTPUnauthorized()(env, start_response)
            _, account, rest = split_path(env['PATH_INFO'], 2, 3, True)
            if account == details['access_key']:
                env['PATH_INFO'] = '/v1/AUTH_%s' % account.split(':')[0] + (
                    '/' + rest if rest else '')
            env['REMOTE_USER'] = details['access_key']
            env['swift.authorize'] = self.authorize
        return self.app(env, start_response)


def s3_request(method, path, body=b'', headers=None, user='test:tester'):
    """
    A SigV2-signed S3 request for ``path`` ('/bucket/key?query').
    """
    headers = dict(headers or {})
    headers.setdefault('Date', formatdate(usegmt=True))
    aws_req = AWSRequest(method=method, url='http://localhost' + path,
                         data=body, headers=headers)
    HmacV1Auth(Credentials(user, USERS[user])).add_auth(aws_req)
    return swob.Request.blank(
        path, environ={'REQUEST_METHOD': method},
        headers=dict(aws_req.headers.items()), body=body)
