"""The :class:`swift3_multipart.protocol.Backend` of the reaper and the
audit tool: an upload reached through Swift's ``InternalClient`` (no user,
no S3 signature), so that they abort and free as the protocol says.

Reads that the protocol relies on ask every replica (X-Newest). The
manifests that name an upload's parts are the key's current object and,
in a bucket that has had S3 versioning, every version written since the
upload began, read from the versions container (object_versioning's,
reserved names: ``\\x00versions\\x00<bucket>/\\x00<key>\\x00<inverted
timestamp>``). Where versions are kept otherwise (Swift's older
``X-Versions-Location`` / ``X-History-Location``) they are out of sight,
and nothing is freed.
"""

import json

from swift.common.http import is_success, HTTP_NOT_FOUND
from swift.common.middleware.versioned_writes.object_versioning import \
    build_versions_object_prefix, parse_versions_object_name
from swift.common.swob import wsgi_unquote
from swift.common.utils import drain_and_close
from swift.common.utils.timestamp import Timestamp

from swift3_multipart import layout, mpu, protocol, tasks

NEWEST = {'X-Newest': 'true'}
RESERVED = {layout.RESERVED_NAMES_HEADER: 'true'}
OK_OR_GONE = (2, HTTP_NOT_FOUND)
# where a versioned bucket keeps its old versions (object_versioning), and
# where the older versioned_writes did
VERSIONS_SYSMETA = 'x-container-sysmeta-versions-container'
VERSIONS_LOCATIONS = ('x-versions-location', 'x-history-location')
DELETE_MARKER = 'application/x-deleted;swift_versions_deleted=1'


class ClientBackend(protocol.Backend):
    """An upload of our layout, through an InternalClient."""

    def __init__(self, swift, account, bucket, key, upload_id, clock=None,
                 gc_delay=protocol.DEFAULT_GC_DELAY):
        """
        :param clock: the time a queued task counts from (the reaper's
            pass time); required to :meth:`queue`.
        """
        self.swift = swift
        self.account = account
        self.bucket = bucket
        self.key = key
        self.upload_id = upload_id
        self.container = layout.segments_container(bucket)
        self._clock = clock
        self.gc_delay = gc_delay
        #: name: bytes of the objects last listed
        self.sizes = {}
        #: bytes of the objects deleted
        self.freed_bytes = 0

    def _request(self, method, container, obj=None, headers=None,
                 ok=OK_OR_GONE, params=None, body=None):
        resp = self.swift.make_request(
            method, self.swift.make_path(self.account, container, obj),
            dict(headers or {}), ok, body_file=body, params=params)
        if method != 'GET' or not is_success(resp.status_int):
            drain_and_close(resp)
        return resp

    # --- the upload's record, in the index ---------------------------------

    def record(self):
        """The record's headers (X-Newest), or None."""
        resp = self._request('HEAD', layout.index_container(self.bucket),
                             layout.record_name(self.key, self.upload_id),
                             headers=dict(NEWEST, **RESERVED))
        return resp.headers if is_success(resp.status_int) else None

    read_record = record

    def delete_record(self):
        self._request('DELETE', layout.index_container(self.bucket),
                      layout.record_name(self.key, self.upload_id),
                      headers=RESERVED)

    # --- the queue ---------------------------------------------------------

    def queue(self):
        epoch = int(self._clock() + self.gc_delay) + 1
        name = tasks.task_name(epoch, self.account, self.bucket,
                               self.upload_id)
        container = tasks.task_container(name, epoch)
        self.swift.create_container(tasks.TASK_ACCOUNT, container)
        body = tasks.task_body(self.key, free=True)
        self.swift.upload_object(
            _Body(body), tasks.TASK_ACCOUNT, container, name,
            headers={'Content-Type': tasks.TASK_CONTENT_TYPE,
                     'Content-Length': str(len(body))})

    # --- the manifests -----------------------------------------------------

    def named(self):
        names = self._manifest_names(self.bucket, self.key)
        if names is None:
            return None
        bucket_headers = self._request('HEAD', self.bucket).headers
        if any(bucket_headers.get(h) for h in VERSIONS_LOCATIONS):
            return None     # Swift's older versioning: out of sight
        versions = bucket_headers.get(VERSIONS_SYSMETA)
        if versions:
            found = self._version_names(wsgi_unquote(versions))
            if found is None:
                return None
            names |= found
        return names

    def _version_names(self, container):
        """What the versions of the key written since the upload began
        name (None if the listing cannot be read)."""
        initiated = self.initiated()
        names = set()
        marker = ''
        prefix = build_versions_object_prefix(self.key)
        while True:
            resp = self._request(
                'GET', container, headers=RESERVED, params={
                    'format': 'json', 'prefix': prefix, 'marker': marker})
            if resp.status_int == HTTP_NOT_FOUND:
                return names
            try:
                rows = json.loads(resp.body)
            except ValueError:
                return None
            if not rows:
                return names
            for row in rows:
                _, version = parse_versions_object_name(row['name'])
                if row.get('content_type') == DELETE_MARKER or \
                        Timestamp(version) < initiated:
                    continue
                found = self._manifest_names(container, row['name'])
                if found is None:
                    return None
                names |= found
            marker = rows[-1]['name']

    def initiated(self):
        return layout.initiated_of(self.upload_id)

    def _manifest_names(self, container, obj):
        """
        The segment names (in our segments container) of the SLO manifest
        ``container/obj`` (X-Newest): an empty set for what is no manifest,
        None if it cannot be read.
        """
        headers = dict(NEWEST, **RESERVED)
        resp = self._request('HEAD', container, obj, headers=headers)
        if not is_success(resp.status_int) or \
                not resp.headers.get('X-Static-Large-Object'):
            return set()
        # (no SLO in an InternalClient's pipeline: the stored manifest)
        resp = self._request('GET', container, obj, headers=headers,
                             params={'multipart-manifest': 'get'})
        if not is_success(resp.status_int):
            return set()
        try:
            entries = json.loads(resp.body)
            prefix = '/%s/' % self.container
            return {entry['name'][len(prefix):] for entry in entries
                    if entry.get('name', '').startswith(prefix)}
        except (ValueError, TypeError, AttributeError):
            return None

    # --- the upload's objects ----------------------------------------------

    def prefix(self):
        return layout.parts_prefix(self.key, self.upload_id)

    def stored(self):
        self.sizes = {}
        for row in self.swift.iter_objects(self.account, self.container,
                                           prefix=self.prefix()):
            self.sizes[row['name']] = row['bytes']
        return list(self.sizes)

    def attempts(self):
        """The names of the upload's part attempts."""
        prefix = self.prefix()
        return [name for name in self.stored()
                if layout.attempt_of(name, prefix) is not None]

    def delete(self, names):
        deleted = 0
        for name in names:
            resp = self._request('DELETE', self.container, name)
            if is_success(resp.status_int):
                deleted += 1
                self.freed_bytes += self.sizes.get(name, 0)
        return deleted


class StockClientBackend(ClientBackend):
    """An upload of the stock layout: its marker is its record, its parts
    are named ``<key>/<upload id>/<n>`` (and Complete's fence ``.../0``)."""

    def record(self):
        resp = self._request('HEAD', self.container,
                             mpu.marker_name(self.key, self.upload_id),
                             headers=NEWEST)
        return resp.headers if is_success(resp.status_int) else None

    read_record = record

    def initiated(self):
        # no time in a stock id: every version may be its manifest
        return Timestamp(0)

    def attempts(self):
        prefix = self.prefix()
        return [name for name in self.stored()
                if mpu.part_number_of(name, prefix)]


def client_backend(swift, account, bucket, key, upload_id, **kwargs):
    """The backend of an upload of either layout."""
    cls = ClientBackend if layout.is_ours(upload_id) else StockClientBackend
    return cls(swift, account, bucket, key, upload_id, **kwargs)


class _Body(object):
    """A file-like body for InternalClient.upload_object."""

    def __init__(self, data):
        self._data = data

    def read(self, size=-1):
        data, self._data = self._data, b''
        return data


def iter_records(swift, account, bucket):
    """(key, upload id) of every record in a bucket's index, in listing
    order (none if the bucket has no index)."""
    path = swift.make_path(account, layout.index_container(bucket))
    marker = ''
    while True:
        resp = swift.make_request(
            'GET', path, dict(RESERVED), OK_OR_GONE,
            params={'format': 'json', 'marker': marker})
        if resp.status_int == HTTP_NOT_FOUND:
            return
        rows = json.loads(resp.body)
        if not rows:
            return
        for row in rows:
            found = layout.split_record_name(row['name'])
            if found:
                yield found
        marker = rows[-1]['name']
