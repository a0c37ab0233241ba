"""CreateMultipartUpload (POST ?uploads) and ListMultipartUploads (GET)."""

import json

from swift.common import constraints
from swift.common.middleware.s3api.acl_handlers import UploadsAclHandler
from swift.common.middleware.s3api.controllers.base import Controller, \
    bucket_operation, object_operation, check_container_existence
from swift.common.middleware.s3api.s3response import HTTPOk, \
    InvalidArgument, InvalidRequest, KeyTooLongError, NoSuchBucket, \
    BucketAlreadyExists, BucketAlreadyOwnedByYou
from swift.common.middleware.s3api.utils import unique_id, sysmeta_header, \
    S3Timestamp
from swift.common.storage_policy import POLICIES
from swift.common.swob import str_to_wsgi, wsgi_to_str, wsgi_quote
from swift.common.utils import public

from swift3_multipart import checksums, layout, mpu, xml
from swift3_multipart.controllers import expiring, records, sse
from swift3_multipart.controllers.common import segments_container, \
    key_of, refuse_unsupported, INITIATOR_SYSMETA, \
    CHECKSUM_ALGORITHM_SYSMETA, CHECKSUM_TYPE_SYSMETA
from swift3_multipart.controllers.own import own_response

DEFAULT_MAX_UPLOADS = 1000
HAS_CONTENT_TYPE_SYSMETA = sysmeta_header('object', 'has-content-type')
CONTENT_TYPE_SYSMETA = sysmeta_header('object', 'content-type')


def _utf8_param(req, name):
    value = req.params.get(name)
    if value is None:
        return None
    value = wsgi_to_str(value)
    if not constraints.check_utf8(value):
        raise InvalidArgument(name, wsgi_quote(req.params[name]))
    return value


def encoding_type_param(req):
    """The validated ``encoding-type`` parameter (only 'url' exists)."""
    encoding_type = _utf8_param(req, 'encoding-type')
    if encoding_type is not None and encoding_type != 'url':
        raise InvalidArgument('encoding-type', encoding_type,
                              'Invalid Encoding Method specified in Request')
    return encoding_type


def ensure_segments_container(req, app):
    """Create ``<bucket>+segments`` like the bucket if it does not exist."""
    container = segments_container(req)
    try:
        # Not through the ACL handler: this is our own check. It also makes
        # s3api learn the caller's user id (req.user_id).
        own_response(req, app, 'HEAD', container, '')
        return
    except NoSuchBucket:
        pass
    info = req.get_container_info(app)
    headers = {'X-Storage-Policy': POLICIES[info['storage_policy']].name}
    if info.get('read_acl'):
        headers['X-Container-Read'] = info['read_acl']
    if info.get('write_acl'):
        headers['X-Container-Write'] = info['write_acl']
    # x-amz-acl is the object's: s3api would make it the container's Swift
    # ACL (public-read: anyone lists every upload and reads every part)
    acl = req.environ.pop('HTTP_X_AMZ_ACL', None)
    try:
        req.get_response(app, 'PUT', container, '', headers=headers)
    except (BucketAlreadyExists, BucketAlreadyOwnedByYou):
        pass  # a concurrent Create made it
    finally:
        if acl is not None:
            req.environ['HTTP_X_AMZ_ACL'] = acl


class UploadsController(Controller):
    """
    CreateMultipartUpload and ListMultipartUploads, logged as UPLOADS.
    """
    acl_handler = UploadsAclHandler
    resource_type = 'UPLOADS'

    @public
    @object_operation
    @check_container_existence
    def POST(self, req):
        """
        CreateMultipartUpload: write the upload marker.

        https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html
        """
        refuse_unsupported(req)
        if not mpu.xml_safe(key_of(req)):
            # every answer about this upload would have to carry the key
            raise InvalidArgument(
                'key', wsgi_quote(req.object_name),
                'Object key contains characters XML 1.0 cannot carry')
        if len(req.object_name) > constraints.MAX_OBJECT_NAME_LENGTH:
            raise KeyTooLongError()
        ours = self.conf.get('upload_layout') == layout.IMMUTABLE
        overhead = layout.PART_NAME_OVERHEAD if ours else \
            mpu.PART_NAME_OVERHEAD
        if not layout.key_fits(req.object_name, overhead):
            # Parts are stored as <key>/<upload id>/<part number>...:
            # refuse now rather than fail every UploadPart.
            raise KeyTooLongError(
                'Your key is too long for a multipart upload: keys of up to '
                '%d bytes can be uploaded in parts (Swift\'s '
                'max_object_name_length is %d)' % (
                    constraints.MAX_OBJECT_NAME_LENGTH - overhead,
                    constraints.MAX_OBJECT_NAME_LENGTH))

        try:
            algorithm, checksum_type = checksums.declared(
                req.headers.get('x-amz-checksum-algorithm'),
                req.headers.get('x-amz-checksum-type'))
        except checksums.ChecksumError as err:
            raise InvalidRequest(msg=str(err))
        if algorithm:
            req.headers[CHECKSUM_ALGORITHM_SYSMETA] = algorithm
            req.headers[CHECKSUM_TYPE_SYSMETA] = checksum_type

        upload_id = layout.new_upload_id() if ours else unique_id()
        # The content type goes on the final object; the marker itself is
        # a directory marker (as stock s3api writes it).
        content_type = req.headers.get('Content-Type')
        if content_type:
            req.headers[HAS_CONTENT_TYPE_SYSMETA] = 'yes'
            req.headers[CONTENT_TYPE_SYSMETA] = content_type
        else:
            req.headers[HAS_CONTENT_TYPE_SYSMETA] = 'no'
        req.headers.pop('Etag', None)
        req.headers.pop('Content-Md5', None)

        ensure_segments_container(req, self.app)
        if ours:
            # the record is written without ACL handler or auth: check
            # first what the marker PUT would have (and the tmpacl)
            handler = getattr(req, 'acl_handler', None)
            if handler is not None:
                handler.handle_acl(self.app, 'PUT')
            else:
                records.auth_check(req, self.app, write=True)
        # before the marker: a task without upload is only dropped later
        abort_headers = expiring.created(req, self.app, self.conf,
                                         self.logger, upload_id)
        req.headers[INITIATOR_SYSMETA] = req.user_id
        req.headers['Content-Type'] = mpu.marker_content_type(
            req.user_id, algorithm, checksum_type)
        if ours:
            records.put_record(req, self.app, key_of(req), upload_id, {})
        else:
            req.get_response(
                self.app, 'PUT', segments_container(req),
                str_to_wsgi(mpu.marker_name(key_of(req), upload_id)),
                body='')
        self.logger.increment('mpu.create')
        resp = HTTPOk(body=xml.initiate_result(
            req.container_name, key_of(req), upload_id),
            content_type='application/xml')
        resp.headers.update(abort_headers)
        if algorithm:
            resp.headers['x-amz-checksum-algorithm'] = algorithm
            resp.headers['x-amz-checksum-type'] = checksum_type
        return sse.add_header(resp)

    @public
    @bucket_operation(err_resp=InvalidRequest,
                      err_msg='Key is not expected for the GET method '
                              '?uploads subresource')
    @check_container_existence
    def GET(self, req):
        """
        ListMultipartUploads.

        https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html
        """
        encoding_type = encoding_type_param(req)
        key_marker = _utf8_param(req, 'key-marker') or ''
        upload_id_marker = _utf8_param(req, 'upload-id-marker') or ''
        prefix = _utf8_param(req, 'prefix')
        delimiter = _utf8_param(req, 'delimiter')
        for name, value in (('key-marker', key_marker),
                            ('upload-id-marker', upload_id_marker),
                            ('prefix', prefix), ('delimiter', delimiter)):
            if value and not mpu.xml_safe(value):
                raise InvalidArgument(name, wsgi_quote(req.params[name]),
                                      'Characters XML 1.0 cannot carry')
        max_uploads = req.get_validated_param(
            'max-uploads', DEFAULT_MAX_UPLOADS, DEFAULT_MAX_UPLOADS)

        if max_uploads:
            entries = self._collect(
                req, prefix or '', delimiter, key_marker,
                upload_id_marker if key_marker else '', max_uploads)
        else:
            entries = []   # an empty page, not truncated: nothing to resume
        truncated = len(entries) > max_uploads
        entries = entries[:max_uploads]
        next_key = next_upload_id = ''
        if entries:
            # the last key and upload id of every page that has one, as
            # AWS and stock s3api answer (truncated or not); a client
            # cannot go on from a truncated page without them
            # https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html
            last = entries[-1]
            next_key = last.get('key', last.get('prefix'))
            next_upload_id = last.get('upload_id', '')
        body = xml.list_uploads_result(
            req.container_name,
            [e for e in entries if 'upload_id' in e],
            [e['prefix'] for e in entries if 'prefix' in e],
            {'key_marker': key_marker, 'upload_id_marker': upload_id_marker,
             'next_key_marker': next_key,
             'next_upload_id_marker': next_upload_id,
             'max_uploads': max_uploads, 'truncated': truncated,
             'prefix': prefix, 'delimiter': delimiter,
             'encoding_type': encoding_type})
        return HTTPOk(body=body, content_type='application/xml')

    def _collect(self, req, prefix, delimiter, key_marker, upload_id_marker,
                 max_uploads):
        """
        :returns: up to max_uploads + 1 entries after the markers, in key
            order: uploads ({'key', 'upload_id', 'initiated', 'initiator',
            'checksum'}) and common prefixes ({'prefix'}).
        """
        entries = []
        seen_prefixes = set()

        def consider(key, upload_id, initiated, content_type):
            """Add an upload (or its common prefix) if after the markers;
            :returns: False once there are enough."""
            if key < key_marker or (
                    key == key_marker and (
                        not upload_id_marker or
                        upload_id <= upload_id_marker)):
                return True
            if delimiter:
                end = key.find(delimiter, len(prefix))
                if end >= 0:
                    common = key[:end + len(delimiter)]
                    if common not in seen_prefixes and common > key_marker:
                        seen_prefixes.add(common)
                        entries.append({'prefix': common, 'sort': common})
                    return True
            entries.append({
                'key': key, 'upload_id': upload_id, 'sort': key,
                'initiated': initiated,
                'initiator': mpu.initiator_from_content_type(
                    content_type) or req.user_id,
                # in the row since Create writes it there: no HEAD
                'checksum': mpu.declared_from_content_type(content_type)})
            return True

        if self.conf.list_stock_uploads:
            # first: its listing checks the caller may read the bucket
            self._stock_uploads(req, prefix, key_marker, max_uploads,
                                entries, consider)
        else:
            self._may_list(req)
        self._our_uploads(req, prefix, key_marker, upload_id_marker,
                          max_uploads, consider)
        # by key, then by initiation time
        entries.sort(key=lambda e: (e['sort'], e.get('initiated', ''),
                                    e.get('upload_id', '')))
        return entries

    def _stock_uploads(self, req, prefix, key_marker, max_uploads, entries,
                       consider):
        """Uploads of the stock layout: markers in the segments
        container."""
        query = {'format': 'json', 'prefix': prefix}
        # every marker name of a key > key-marker sorts after key-marker
        if key_marker:
            query['marker'] = key_marker
        start = len(entries)
        while len(entries) - start <= max_uploads:
            try:
                resp = req.get_response(self.app, 'GET',
                                        segments_container(req), '',
                                        query=query)
            except NoSuchBucket:
                return
            rows = json.loads(resp.body)
            if not rows:
                return
            query['marker'] = rows[-1]['name']
            for row in rows:
                if not mpu.is_upload_marker(row['name']) or \
                        '/' not in row['name']:
                    continue
                key, upload_id = mpu.split_marker_name(row['name'])
                consider(key, upload_id, S3Timestamp.from_isoformat(
                    row['last_modified']).s3xmlformat,
                    row.get('content_type'))

    def _may_list(self, req):
        """The check that the stock layout's listing makes: READ under
        s3_acl, else a HEAD of the segments container as the caller."""
        if records.acl_check(req, self.app, write=False):
            return
        try:
            records.auth_check(req, self.app, write=False)
        except NoSuchBucket:
            pass    # no upload was ever begun there: nothing to hide

    def _our_uploads(self, req, prefix, key_marker, upload_id_marker,
                     max_uploads, consider):
        """Uploads of our layout: one page of the index (per
        max-uploads)."""
        marker = layout.record_name(key_marker, upload_id_marker) \
            if key_marker and upload_id_marker else \
            ('\x00' + key_marker if key_marker else '')
        found = 0
        while found <= max_uploads:
            rows = records.list_records(req, self.app, prefix, marker,
                                        max_uploads + 1)
            for row in rows:
                named = layout.split_record_name(row['name'])
                if named is None:
                    continue
                found += 1
                key, upload_id = named
                consider(key, upload_id, S3Timestamp(float(
                    layout.initiated_of(upload_id))).s3xmlformat,
                    row.get('content_type'))
            if len(rows) <= max_uploads:
                return
            marker = rows[-1]['name']
