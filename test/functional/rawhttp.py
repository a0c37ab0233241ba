"""SigV4-signed requests that no SDK shaped, on one kept-alive connection.

:func:`test.functional.base.raw_request` opens a connection per request;
the fuzz suite sends tens of thousands, so it keeps one
:class:`http.client.HTTPConnection`, which sends the path exactly as given
(no dot-segment removal, no re-quoting).
"""

import hashlib
import http.client
from urllib.parse import quote

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD'


def quote_key(key):
    """A bucket/key path quoted as SigV4 wants it (``/`` kept)."""
    if isinstance(key, str):
        key = key.encode('utf-8', 'surrogatepass')
    return quote(key, safe='/~')


def query_string(params):
    """``params``: [(name, value or None)]; a None value: ``name`` alone."""
    return '&'.join(
        quote(name, safe='-_.~') if value is None else '%s=%s' % (
            quote(name, safe='-_.~'), quote(value, safe='-_.~'))
        for name, value in params)


class SignedClient(object):
    """Signed requests to one endpoint as one user.

    :param endpoint: ``http://host:port``
    """

    def __init__(self, endpoint, access_key, secret_key, region,
                 timeout=60):
        self.host, port = endpoint.split('//', 1)[1].rsplit(':', 1)
        self.port = int(port)
        self.endpoint = endpoint
        self.credentials = Credentials(access_key, secret_key)
        self.region = region
        self.timeout = timeout
        self.conn = None

    def sign(self, method, path, body=b'', headers=None,
             payload_hash=None):
        """The headers of a signed request (``path`` quoted, with query)."""
        req = AWSRequest(method=method, url=self.endpoint + path, data=body,
                         headers=dict(headers or {}))
        req.headers['x-amz-content-sha256'] = payload_hash or \
            hashlib.sha256(body).hexdigest()
        S3SigV4Auth(self.credentials, 's3', self.region).add_auth(req)
        return dict(req.headers.items())

    def request(self, method, path, body=b'', headers=None):
        """(status, {lower-case header: value}, body) of one request.

        :param path: quoted path with its query string
        """
        signed = self.sign(method, path, body, headers)
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=signed)
                resp = self.conn.getresponse()
                data = resp.read()
            except (http.client.RemoteDisconnected, BrokenPipeError,
                    ConnectionResetError):
                # the server closed a kept-alive connection: once more
                self.close()
                if attempt == 2:
                    raise
                continue
            except Exception:
                # the connection is in an unknown state
                self.close()
                raise
            if resp.will_close:
                self.close()
            return resp.status, {k.lower(): v for k, v in
                                 resp.getheaders()}, data

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None
