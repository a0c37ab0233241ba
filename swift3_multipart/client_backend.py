"""The :class:`swift3_multipart.abort.Backend` of the reaper and the audit
tool: an upload of our layout reached through Swift's ``InternalClient``
(no user, no S3 signature), so that they abort as AbortMultipartUpload
does, by the same protocol.

Reads that the protocol relies on ask every replica (X-Newest). Old
versions of a key are out of an InternalClient's sight, so a sweep leaves
a bucket that has had versioning alone (see
:func:`swift3_multipart.storage.sweep_upload`).
"""

import json

from swift.common.http import is_success, HTTP_NOT_FOUND
from swift.common.utils import drain_and_close

from swift3_multipart import abort, layout

NEWEST = {'X-Newest': 'true'}
RESERVED = {layout.RESERVED_NAMES_HEADER: 'true'}
OK_OR_GONE = (2, HTTP_NOT_FOUND)


class ClientBackend(abort.Backend):

    def __init__(self, swift, account, bucket, key, upload_id):
        self.swift = swift
        self.account = account
        self.bucket = bucket
        self.key = key
        self.upload_id = upload_id
        self.container = layout.segments_container(bucket)
        self._abort_record = layout.abort_record_name(key, upload_id)
        #: name: bytes of the attempts last listed
        self.sizes = {}
        #: bytes of the attempts deleted
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

    def record_exists(self):
        return self.record() is not None

    def delete_record(self):
        self._request('DELETE', layout.index_container(self.bucket),
                      layout.record_name(self.key, self.upload_id),
                      headers=RESERVED)

    # --- the abort record --------------------------------------------------

    def aborted(self):
        return abort.shows_abort(self._request(
            'HEAD', self.container, self._abort_record, headers=NEWEST),
            self.upload_id)

    def write_abort_record(self, timestamp):
        # 201, or 202 if an object server held it already
        self._request('PUT', self.container, self._abort_record, headers={
            'X-Timestamp': timestamp.internal, 'Content-Length': '0',
            'Content-Type': 'application/octet-stream'}, ok=(2,), body=None)

    # --- the key -----------------------------------------------------------

    def manifest_segments(self):
        """What the key's current object names, if it is this upload's
        manifest. One we cannot read (the symlink a versioned bucket keeps
        at the key) keeps every attempt."""
        resp = self._request('HEAD', self.bucket, self.key, headers=NEWEST)
        if not is_success(resp.status_int) or resp.headers.get(
                layout.OUR_UPLOAD_ID_SYSMETA) != self.upload_id:
            return None
        resp = self._request('GET', self.bucket, self.key, headers=NEWEST,
                             params={'multipart-manifest': 'get'})
        try:
            entries = json.loads(resp.body) if is_success(
                resp.status_int) else None
            prefix = '/%s/' % self.container
            return {entry['name'][len(prefix):] for entry in entries
                    if entry.get('name', '').startswith(prefix)}
        except (ValueError, TypeError, AttributeError):
            return set(self.attempts())

    # --- the attempts ------------------------------------------------------

    def attempts(self):
        prefix = layout.parts_prefix(self.key, self.upload_id)
        self.sizes = {}
        for row in self.swift.iter_objects(self.account, self.container,
                                           prefix=prefix):
            if layout.attempt_of(row['name'], prefix) is not None:
                self.sizes[row['name']] = row['bytes']
        return list(self.sizes)

    def delete(self, names):
        deleted = 0
        for name in names:
            resp = self._request('DELETE', self.container, name)
            if is_success(resp.status_int):
                deleted += 1
                self.freed_bytes += self.sizes.get(name, 0)
        return deleted


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
