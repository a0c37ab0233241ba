"""Serve Keystone's WSGI application on 127.0.0.1 (the SAIO's keystone).

Run by path, with the Python of Keystone's own virtualenv (not ours: this
file imports nothing of the SAIO)::

    OS_KEYSTONE_CONFIG_DIR=DIR python keystone_wsgi.py PORT

A threaded ``wsgiref`` server: enough for tests (Keystone answers each
S3 request's s3tokens call and each authtoken validation).
"""

import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class Handler(WSGIRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write('keystone: %s\n' % (fmt % args))


def main():
    port = int(sys.argv[1])
    # oslo.config parses sys.argv: leave it only the program's name
    del sys.argv[1:]
    from keystone.server import wsgi
    app = wsgi.initialize_public_application()
    server = make_server('127.0.0.1', port, app,
                         server_class=ThreadingWSGIServer,
                         handler_class=Handler)
    server.serve_forever()


if __name__ == '__main__':
    main()
