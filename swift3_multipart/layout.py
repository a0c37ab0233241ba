"""Where multipart uploads are stored: every container and object name, the
sysmeta keys and the listing queries, of both layouts we serve.

**Stock layout** (Swift's s3api; uploads begun by a stock proxy, or by ours
with ``upload_layout = stock``), upload ids of 48 urlsafe-base64
characters::

    <bucket>+segments/<key>/<upload id>        upload marker (empty object)
    <bucket>+segments/<key>/<upload id>/<n>    part n (overwritten by a
                                               re-upload)
    <bucket>+segments/<key>/<upload id>/0      Complete's fence (ours)

**Our layout** (``upload_layout = immutable``, the default), upload ids
``2.<initiation time, 15 digits><16 hex digits>``, a form stock s3api never
makes::

    <account>/\\x00s3mpu\\x00<bucket>/\\x00<key>\\x00<upload id>
        the upload record: one object per upload in progress, with what
        Create was given; its container listing is ListMultipartUploads
        (key order, then initiation time, as S3 lists), and holds nothing
        else
    <bucket>+segments/<key>/<upload id>/<n, 5 digits>/<attempt, 21 digits>
        one object per UploadPart or UploadPartCopy, never overwritten: the
        attempt is the proxy's time plus 6 random digits, so the newest
        attempt of a part lists last
    <bucket>+segments/<key>/<upload id>/00000/0
        the abort record, written by Abort before it reads the key, and
        kept (see :mod:`swift3_multipart.abort`)
    <bucket>/<key>
        SLO manifest once completed, readable and deletable by stock s3api
        and the Swift API

The index container has a reserved name (as object versioning's
``\\x00versions\\x00<container>``): no user lists or reaches it, account
listings hide it; requests to it carry ``X-Backend-Allow-Reserved-Names``.
Every name in ``+segments`` ends in ``/<digits>``, so stock s3api's
ListMultipartUploads takes none of ours for an upload, and stock answers
NoSuchUpload for our upload ids (it looks for a marker at
``<key>/<upload id>``, which we never write).

Nothing here talks to Swift.
"""

import random
import re
import uuid

from swift.common import constraints
from swift.common.middleware.s3api.utils import MULTIUPLOAD_SUFFIX, \
    sysmeta_header
from swift.common.request_helpers import get_reserved_name
from swift.common.utils.timestamp import Timestamp

STOCK = 'stock'
IMMUTABLE = 'immutable'
LAYOUTS = (STOCK, IMMUTABLE)

# --- stock s3api's layout -------------------------------------------------

# stock upload ids are urlsafe base64 of a uuid4 string: 48 characters
UPLOAD_ID_LENGTH = 48
MAX_PART_NUMBER_DIGITS = 5
_PART_SUFFIX = re.compile(r'/[0-9]+\Z')
_DIGITS = re.compile(r'^[0-9]+\Z')
# what unique_id() makes (urlsafe base64), with room for other generators
_STOCK_UPLOAD_ID = re.compile(r'^[A-Za-z0-9_=-]{1,128}\Z')

UPLOAD_ID_SYSMETA = sysmeta_header('object', 'upload-id')
S3_ETAG_SYSMETA = sysmeta_header('object', 'etag')


def segments_container(bucket):
    """The segments container of a bucket (native or WSGI string alike)."""
    return bucket + MULTIUPLOAD_SUFFIX


def marker_name(key, upload_id):
    """Name of a stock upload's marker in the segments container."""
    return '%s/%s' % (key, upload_id)


def parts_prefix(key, upload_id):
    """Listing prefix of an upload's parts (both layouts)."""
    return '%s/%s/' % (key, upload_id)


def part_name(key, upload_id, part_number):
    """Name of part ``part_number`` of a stock upload."""
    return '%s/%s/%d' % (key, upload_id, part_number)


def fence_name(key, upload_id):
    """
    Name of CompleteMultipartUpload's fence on a stock upload: an empty
    "part 0", which no UploadPart can write (part numbers start at 1) and
    which stock s3api's listings take for a segment.
    """
    return part_name(key, upload_id, 0)


def part_number_of(name, prefix):
    """
    :param name: a name from a listing of ``prefix`` (stock layout).
    :returns: the part number if ``name`` is ``prefix`` followed by decimal
        digits only, else None.
    """
    suffix = name[len(prefix):]
    if not name.startswith(prefix) or not _DIGITS.match(suffix):
        return None
    return int(suffix)


def is_upload_marker(name):
    """True for a segments-container name that is not a part."""
    return _PART_SUFFIX.search(name) is None


def split_marker_name(name):
    """:returns: (key, upload_id) of an upload marker's name."""
    return tuple(name.rsplit('/', 1))


def valid_upload_id(upload_id):
    """
    True if ``upload_id`` could have been made by CreateMultipartUpload,
    of either layout. Anything else (a '/', NUL, unicode...) would name
    some other object of the segments container.
    """
    return is_ours(upload_id) or (
        bool(upload_id) and _STOCK_UPLOAD_ID.match(upload_id) is not None)


# --- our layout -----------------------------------------------------------

INDEX_PREFIX = 's3mpu'
# the sysmeta key of the upload id on our completed manifests: not stock's,
# so that a stock proxy never takes our finished uploads for its own
OUR_UPLOAD_ID_SYSMETA = sysmeta_header('object', 'mpu-upload-id')
RESERVED_NAMES_HEADER = 'X-Backend-Allow-Reserved-Names'
_OUR_UPLOAD_ID = re.compile(r'^2\.[0-9]{15}[0-9a-f]{16}\Z')
PART_DIGITS = 5
MAX_PART_NUMBER = 10 ** PART_DIGITS - 1
ATTEMPT_DIGITS = 21
ABORT_RECORD_PART = 0
# what our part names add to the key: '/<upload id>/<nnnnn>/<attempt>'
OUR_UPLOAD_ID_LENGTH = 33
PART_NAME_OVERHEAD = max(
    2 + UPLOAD_ID_LENGTH + MAX_PART_NUMBER_DIGITS,
    3 + OUR_UPLOAD_ID_LENGTH + PART_DIGITS + ATTEMPT_DIGITS)


def key_fits(wsgi_key, overhead=PART_NAME_OVERHEAD):
    """
    True if an upload of ``wsgi_key`` (a WSGI string: its length is in
    bytes) can exist: Create refuses a key whose part names would not fit
    in Swift's max_object_name_length (KeyTooLongError). A request about
    an upload of a longer key is answered without a backend request; its
    listing query (prefix and marker) would not even fit in a backend
    server's request line.
    """
    return len(wsgi_key) + overhead <= constraints.MAX_OBJECT_NAME_LENGTH


_ATTEMPT = re.compile(r'^([0-9]{%d})/([0-9]{%d})\Z' % (
    PART_DIGITS, ATTEMPT_DIGITS))


def _digits(timestamp):
    """A Timestamp's normal form without its dot: 15 digits, in time
    order."""
    return timestamp.normal.replace('.', '')


def new_upload_id(now=None):
    """
    A new upload id of our layout. Ids sort by initiation time, so that
    the record names of one key list in S3's order.

    :param now: a Timestamp (default: now).
    """
    now = now or Timestamp.now()
    return '2.%s%s' % (_digits(now), uuid.uuid4().hex[:16])


def is_ours(upload_id):
    """True if ``upload_id`` has the form our layout gives."""
    return bool(upload_id) and _OUR_UPLOAD_ID.match(upload_id) is not None


def layout_of(upload_id):
    return IMMUTABLE if is_ours(upload_id) else STOCK


def initiated_of(upload_id):
    """:returns: the initiation time an id of ours carries (a Timestamp)."""
    digits = upload_id[2:17]
    return Timestamp('%s.%s' % (digits[:10], digits[10:]))


def index_container(bucket):
    """The reserved container that indexes a bucket's uploads."""
    return get_reserved_name(INDEX_PREFIX, bucket)


def record_name(key, upload_id):
    """
    Name of an upload's record in the index container: a reserved name
    (Swift wants every object name of a reserved container to be one),
    NUL, the key, NUL, the upload id. The key ends at the second NUL (no
    key holds one), which sorts before every character that can follow it:
    key 'a' lists before 'a-b' and 'a/b', as S3 lists.
    """
    return get_reserved_name(key, upload_id)


def split_record_name(name):
    """:returns: (key, upload id) of a record name, or None."""
    if not name.startswith('\x00'):
        return None
    key, sep, upload_id = name[1:].rpartition('\x00')
    if not sep or not key or '\x00' in key or not is_ours(upload_id):
        return None
    return key, upload_id


def index_query(prefix, marker, limit):
    """
    A listing query of the index container.

    :param prefix: a prefix of keys ('' for all).
    :param marker: list after this record name, if any.
    """
    query = {'format': 'json', 'limit': str(limit),
             'prefix': '\x00' + prefix}
    if marker:
        query['marker'] = marker
    return query


def new_attempt(now=None):
    """A new attempt: the proxy's time, then 6 random digits."""
    now = now or Timestamp.now()
    return '%s%06d' % (_digits(now), random.randrange(10 ** 6))


def attempt_name(key, upload_id, part_number, attempt):
    """Name of one UploadPart attempt of our layout."""
    return '%s%0*d/%s' % (parts_prefix(key, upload_id), PART_DIGITS,
                          part_number, attempt)


def abort_record_name(key, upload_id):
    """Name of an upload's abort record (part 0, attempt 0)."""
    return '%s%0*d/0' % (parts_prefix(key, upload_id), PART_DIGITS,
                         ABORT_RECORD_PART)


def is_abort_record(name):
    """True if ``name`` (of a segments container) is an abort record."""
    parts = name.rsplit('/', 3)
    return len(parts) == 4 and is_ours(parts[1]) and \
        name == abort_record_name(parts[0], parts[1])


def attempt_of(name, prefix):
    """
    :param name: a name from a listing of ``prefix`` (our layout).
    :returns: (part number, attempt) of a part attempt, or None (the abort
        record, and names of other shapes).
    """
    if not name.startswith(prefix):
        return None
    found = _ATTEMPT.match(name[len(prefix):])
    if found is None or int(found.group(1)) == ABORT_RECORD_PART:
        return None
    return int(found.group(1)), found.group(2)


def split_segment_name(name):
    """
    :param name: any name of a segments container.
    :returns: (key, upload id) of a part attempt of our layout, or None
        (also for the abort record, which stays).
    """
    parts = name.rsplit('/', 3)
    if len(parts) != 4 or not parts[0] or not is_ours(parts[1]) or \
            not _ATTEMPT.match('/'.join(parts[2:])):
        return None
    return parts[0], parts[1]


def attempts_query(key, upload_id, after_part=0, limit=None, marker=None):
    """
    A listing query of an upload's attempts in the segments container.

    :param after_part: list the parts numbered above this one.
    :param marker: go on after this name (a page already read).
    """
    prefix = parts_prefix(key, upload_id)
    query = {'format': 'json', 'prefix': prefix,
             # every attempt of parts <= after_part sorts below this, every
             # attempt of the later parts above
             'marker': marker or '%s%0*d/~' % (
                 prefix, PART_DIGITS, after_part)}
    if limit is not None:
        query['limit'] = str(limit)
    return query


def manifest_timestamp(base, salt=1):
    """
    The X-Timestamp of a Complete's manifest: just above ``base`` (the
    newest of the upload's initiation and the object the Complete found at
    the key), in Swift's offset field. Completes of one upload that found
    the same object write at the same timestamp, and the object servers
    keep the first to arrive (a PUT that is not newer is refused); none can
    replace a later write of the key.
    """
    return Timestamp(base.timestamp, offset=base.offset + salt)
