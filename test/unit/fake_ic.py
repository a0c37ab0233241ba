"""Swift's InternalClient over the strict FakeSwift, for the offline tools."""

from unittest import mock
from urllib.parse import quote

from swift.common.internal_client import InternalClient


def internal_client(swift):
    """A real InternalClient whose proxy app is ``swift`` (one try)."""
    swift._pipeline_final_app = mock.Mock(auto_create_account_prefix='.')
    return InternalClient(None, 'test', 1, app=swift)


def listing_path(path, marker='', prefix=''):
    """The path of one page of InternalClient's JSON listings."""
    return '%s?format=json&marker=%s&end_marker=&prefix=%s' % (
        path, quote(marker), quote(prefix))


def register_listing(swift, path, rows, prefix=''):
    """Register ``rows`` as one page, then the empty page after it."""
    swift.register('GET', listing_path(path, prefix=prefix), 200,
                   {'Content-Type': 'application/json'}, rows)
    if rows:
        swift.register('GET', listing_path(path, rows[-1]['name'], prefix),
                       200, {'Content-Type': 'application/json'}, [])


def row(name, size=0, last_modified='2026-11-21T10:30:00.000000',
        etag='0cc175b9c0f1b6a831c399e269772661'):
    return {'name': name, 'bytes': size, 'hash': etag,
            'last_modified': last_modified,
            'content_type': 'application/octet-stream'}
