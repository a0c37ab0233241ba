"""Backend look-ups shared by the multipart controllers.

Every call goes through ``req.get_response`` so that s3api's ACL handlers see
it; the first call of each operation is the HEAD that the handler checks.
"""

import contextlib
import json

from swift.common.middleware.s3api.s3response import NoSuchKey, \
    NoSuchUpload, NoSuchBucket, S3NotImplemented
from swift.common.middleware.s3api.utils import MULTIUPLOAD_SUFFIX, \
    sysmeta_header
from swift.common.swob import str_to_wsgi, wsgi_to_str

from swift3_multipart import layout, mpu
from swift3_multipart.layout import UPLOAD_ID_SYSMETA, \
    S3_ETAG_SYSMETA  # noqa: F401 (imported from here by the controllers)
from swift3_multipart.manifest import slo_last_modified, s3_last_modified

# Who created the upload (ours; stock s3api ignores it): ListParts answers
# it as Initiator and Owner whoever asks.
INITIATOR_SYSMETA = sysmeta_header('object', 'upload-initiator')
# What Create declared of checksums (on the marker), and the checksum of a
# part or of the completed object
CHECKSUM_ALGORITHM_SYSMETA = sysmeta_header('object', 'checksum-algorithm')
CHECKSUM_TYPE_SYSMETA = sysmeta_header('object', 'checksum-type')


def checksum_sysmeta(algorithm):
    return sysmeta_header('object', 'checksum-' + algorithm.lower())


def declared_checksum(marker_resp):
    """:returns: (algorithm, type) Create declared, or (None, None)."""
    return (marker_resp.sysmeta_headers.get(CHECKSUM_ALGORITHM_SYSMETA),
            marker_resp.sysmeta_headers.get(CHECKSUM_TYPE_SYSMETA))


# Headers asking for what we cannot do. Ignoring them would store data in a
# way the client did not ask for (e.g. not encrypted with its own key).
UNSUPPORTED_HEADERS = (
    ('x-amz-server-side-encryption-customer-algorithm',
     'Server-side encryption with customer-provided keys'),
    ('x-amz-server-side-encryption-customer-key',
     'Server-side encryption with customer-provided keys'),
    ('x-amz-server-side-encryption-customer-key-md5',
     'Server-side encryption with customer-provided keys'),
    ('x-amz-copy-source-server-side-encryption-customer-algorithm',
     'Server-side encryption with customer-provided keys'),
    ('x-amz-copy-source-server-side-encryption-customer-key',
     'Server-side encryption with customer-provided keys'),
    ('x-amz-copy-source-server-side-encryption-customer-key-md5',
     'Server-side encryption with customer-provided keys'),
    ('x-amz-object-lock-mode', 'Object Lock'),
    ('x-amz-object-lock-retain-until-date', 'Object Lock'),
    ('x-amz-object-lock-legal-hold', 'Object Lock'),
)


def refuse_unsupported(req):
    """
    :raises S3NotImplemented: the request asks for a feature we do not
        have, naming the header.
    """
    for header, feature in UNSUPPORTED_HEADERS:
        if header in req.headers:
            raise S3NotImplemented('%s is not supported.' % feature,
                                   header=header)


def upload_id_param(req):
    """The uploadId parameter as a native string (ids we make are ASCII;
    anything else only has to be echoed in NoSuchUpload)."""
    value = req.params['uploadId']
    try:
        return wsgi_to_str(value)
    except UnicodeDecodeError:
        return value.encode('latin-1').decode('utf-8', 'replace')


def segments_container(req):
    """The (WSGI string) name of the bucket's segments container."""
    return req.container_name + MULTIUPLOAD_SUFFIX


def key_of(req):
    """The object key as a native string."""
    return wsgi_to_str(req.object_name)


def head_marker(req, app, upload_id):
    """
    HEAD the upload marker: the upload is in progress only while it exists.

    :returns: the S3Response of the HEAD.
    :raises NoSuchUpload: no marker (never started, completed or aborted).
    """
    if not mpu.valid_upload_id(upload_id):
        raise NoSuchUpload(upload_id=upload_id)
    obj = str_to_wsgi(mpu.marker_name(key_of(req), upload_id))
    try:
        with without_copy_source(req):
            return req.get_response(app, 'HEAD', segments_container(req),
                                    obj)
    except NoSuchKey:
        raise NoSuchUpload(upload_id=upload_id)


@contextlib.contextmanager
def without_copy_source(req):
    """
    Our own look-ups during a PUT with ``x-amz-copy-source``: s3api would
    turn the header into an X-Copy-From, and its ?versionId= into a
    version-id query, on every backend request of the S3 request.
    """
    copy_source = req.headers.pop('X-Amz-Copy-Source', None)
    try:
        yield
    finally:
        if copy_source is not None:
            req.headers['X-Amz-Copy-Source'] = copy_source


def completed_manifest(req, app, upload_id):
    """
    :returns: the HEAD response of the bucket's object if it is the manifest
        this upload completed into, else None.
    """
    try:
        resp = req.get_response(app, 'HEAD', req.container_name,
                                req.object_name)
    except NoSuchKey:
        return None
    if resp.sysmeta_headers.get(upload_id_sysmeta(upload_id)) == upload_id:
        return resp
    return None


def upload_id_sysmeta(upload_id):
    """Where a completed manifest of this upload records its id."""
    return layout.OUR_UPLOAD_ID_SYSMETA if layout.is_ours(upload_id) \
        else UPLOAD_ID_SYSMETA


def initiator_of(marker_resp, req):
    """
    The user who created the upload; markers written by stock s3api do not
    record one, and then the caller stands in, as stock s3api answers.
    """
    return marker_resp.sysmeta_headers.get(INITIATOR_SYSMETA) or req.user_id


def part_of_row(number, row):
    return {
        'part_number': number,
        'etag': row['hash'].split(';', 1)[0].strip(),
        'size': row['bytes'],
        'last_modified': s3_last_modified(row['last_modified']),
        # what an SLO manifest records of a segment
        'content_type': row['content_type'].split(';', 1)[0],
        # (algorithm, base64) if the part came with a checksum
        'checksum': mpu.checksum_from_content_type(row['content_type']),
        'slo_last_modified': slo_last_modified(row['last_modified']),
    }


def _listing(req, app, query):
    """One page of the segments container listing ([] if it is gone)."""
    try:
        resp = req.get_response(app, 'GET', segments_container(req), '',
                                query=query)
    except NoSuchBucket:
        return []
    return json.loads(resp.body)


def list_parts(req, app, upload_id):
    """
    List every part of an upload.

    :returns: {part number: {'part_number', 'etag', 'size',
        'last_modified', 'content_type', 'checksum', 'slo_last_modified'}}
        where etag is hex, last_modified in S3's XML format and
        slo_last_modified as an SLO manifest records it.
    """
    prefix = mpu.parts_prefix(key_of(req), upload_id)
    query = {'format': 'json', 'prefix': prefix}
    parts = {}
    while True:
        rows = _listing(req, app, query)
        if not rows:
            return parts
        for row in rows:
            number = mpu.part_number_of(row['name'], prefix)
            if number is not None:
                parts[number] = part_of_row(number, row)
        query['marker'] = rows[-1]['name']


def list_parts_after(req, app, upload_id, marker, count, max_number):
    """
    The first ``count`` parts numbered above ``marker``, in number order,
    reading about as many listing rows as it returns where it can.

    The listing is in name order ('10' before '9'), but numbers of one
    length sort as numbers, and all of them after every shorter one: so
    each length is one window of the listing, from the first wanted number
    to the last possible one. A window also holds the longer numbers
    sharing its digits (the 3-digit window holds the 4-digit numbers): the
    page right after marker 0 of a 10,000-part upload still reads most
    rows; pages of the longest numbers read only themselves.

    :param max_number: the highest part number there can be.
    :returns: (parts in number order, True if more parts follow)
    """
    prefix = mpu.parts_prefix(key_of(req), upload_id)
    found = []
    known = []   # (low, high, rows): every row with low < name < high
    longest = len(str(max_number))
    widest = prefix + str(min(10 ** (longest - 1) - 1, max_number)) + '0'
    for length in range(len(str(marker + 1)), longest + 1):
        start = max(marker + 1, 10 ** (length - 1))
        end = min(10 ** length - 1, max_number)
        if start > end:
            continue
        # just before str(start) and just after str(end): no name lies
        # between (numbers have no leading zero)
        low = prefix + (str(start - 1) if start - 1 >= 10 ** (length - 1)
                        else str(start)[:-1])
        high = prefix + str(end) + '0'
        if length < longest - 1:
            # this window holds nearly all longer numbers anyway: read on
            # to the end once, and the later windows come from memory
            high = max(high, widest)
        for rows in _window(req, app, prefix, low, high, count + 1 -
                            len(found), known):
            for row in rows:
                number = mpu.part_number_of(row['name'], prefix)
                if number is not None and len(str(number)) == length \
                        and number >= start:
                    found.append(part_of_row(number, row))
            if len(found) > count:
                break
        if len(found) > count:
            break
    return found[:count], len(found) > count


def _window(req, app, prefix, low, high, limit, known):
    """
    Pages of the listing rows with low < name < high, from ``known`` if a
    window read before covers it.
    """
    for known_low, known_high, rows in known:
        if known_low <= low and high <= known_high:
            yield [row for row in rows if low < row['name'] < high]
            return
    name, read = low, []
    while True:
        rows = _listing(req, app, {'format': 'json', 'prefix': prefix,
                                   'marker': name, 'end_marker': high,
                                   'limit': limit})
        read.extend(rows)
        if len(rows) < limit:
            known.append((low, high, read))
            yield rows
            return
        yield rows
        name = rows[-1]['name']
