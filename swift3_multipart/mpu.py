"""Pure helpers of the multipart upload: names, ETag math, part-list checks.

Storage layout (the same as Swift's s3api, so either filter can finish an
upload the other started)::

    <bucket>+segments/<key>/<upload_id>        upload marker (empty object)
    <bucket>+segments/<key>/<upload_id>/<n>    part n
    <bucket>/<key>                             SLO manifest, once completed

Nothing here talks to Swift.
"""

import binascii
import hashlib
import re
from urllib.parse import quote, unquote

# the stock layout's names and sizes live in swift3_multipart.layout
from swift3_multipart.layout import marker_name, parts_prefix, \
    part_name, fence_name, part_number_of, is_upload_marker, \
    split_marker_name, UPLOAD_ID_LENGTH, MAX_PART_NUMBER_DIGITS  # noqa: F401

# what a part name adds to the key: '/<upload_id>/<part number>'
PART_NAME_OVERHEAD = 2 + UPLOAD_ID_LENGTH + MAX_PART_NUMBER_DIGITS

_MD5_HEX = re.compile(r'^[0-9a-f]{32}\Z')
# what unique_id() makes (urlsafe base64), with room for other generators
_UPLOAD_ID = re.compile(r'^[A-Za-z0-9_=-]{1,128}\Z')


# what XML 1.0 cannot carry, even as a character reference
_NOT_XML = re.compile(
    '[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]')


def xml_safe(text):
    """True if ``text`` can be an XML 1.0 element's text."""
    return _NOT_XML.search(text) is None


def valid_upload_id(upload_id):
    """
    True if ``upload_id`` could have been made by CreateMultipartUpload.
    Anything else (a '/', NUL, unicode...) would name some other object of
    the segments container.
    """
    return bool(upload_id) and _UPLOAD_ID.match(upload_id) is not None


# S3's highest part number (and most parts of an upload)
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html
S3_MAX_PARTS = 10000
MARKER_CONTENT_TYPE = 'application/directory'
_INITIATOR_PARAM = 's3api_initiator'
_CHECKSUM_PARAM = 's3api_checksum'
_DECLARED_PARAM = 's3api_checksum_declared'


def with_param(content_type, name, value):
    """``content_type`` with one more parameter, its value URL-quoted."""
    return '%s;%s=%s' % (content_type, name, quote(value, safe=''))


def param_of(content_type, name):
    """:returns: the unquoted value of a content-type parameter, or None."""
    for param in (content_type or '').split(';')[1:]:
        key, _, value = param.strip().partition('=')
        if key == name and value:
            return unquote(value)
    return None


def marker_content_type(initiator, algorithm=None, checksum_type=None):
    """
    The upload marker's content type. It carries who created the upload
    and the checksum Create declared, so that ListMultipartUploads finds
    them in the container listing (stock s3api writes the bare type, and
    ignores the parameters).
    """
    content_type = with_param(MARKER_CONTENT_TYPE, _INITIATOR_PARAM,
                              initiator)
    if algorithm:
        content_type = with_param(content_type, _DECLARED_PARAM,
                                  '%s:%s' % (algorithm, checksum_type))
    return content_type


def initiator_from_content_type(content_type):
    """:returns: the initiator a marker's content type names, or None."""
    return param_of(content_type, _INITIATOR_PARAM)


def declared_from_content_type(content_type):
    """:returns: (algorithm, type) a marker's content type names, or
        (None, None)."""
    found = param_of(content_type, _DECLARED_PARAM)
    if not found or ':' not in found:
        return None, None
    algorithm, _, checksum_type = found.partition(':')
    return algorithm, checksum_type


def part_content_type(content_type, algorithm, value):
    """
    What a part's container listing row says as its content type: its own
    type plus its checksum, so that ListParts and Complete read checksums
    from the listing, with no HEAD per part.
    """
    return with_param(content_type, _CHECKSUM_PARAM,
                      '%s:%s' % (algorithm, value))


def checksum_from_content_type(content_type):
    """:returns: (algorithm, base64 value) of a part's listing row, or
    None."""
    found = param_of(content_type, _CHECKSUM_PARAM)
    if not found or ':' not in found:
        return None
    algorithm, _, value = found.partition(':')
    return algorithm, value


def normalize_part_etag(etag):
    """
    :returns: the lower-case hex MD5 of a client-given part ETag (quotes
        stripped), or None if it is not one.
    """
    if etag is None:
        return None
    etag = etag.strip()
    if len(etag) >= 2 and etag[0] == etag[-1] == '"':
        etag = etag[1:-1]
    etag = etag.lower()
    return etag if _MD5_HEX.match(etag) else None


def multipart_etag(part_etags):
    """
    The S3 ETag of a completed upload: the MD5 of the concatenated binary
    MD5s of its parts, then ``-<number of parts>``.

    :param part_etags: hex MD5s of the parts, in part order.
    """
    hasher = hashlib.md5(usedforsecurity=False)
    for etag in part_etags:
        hasher.update(binascii.a2b_hex(etag))
    return '%s-%d' % (hasher.hexdigest(), len(part_etags))


def check_part_order(part_numbers):
    """
    :returns: True if the part numbers are strictly ascending.
    """
    return all(a < b for a, b in zip(part_numbers, part_numbers[1:]))


def first_too_small(sizes, min_size):
    """
    :param sizes: (part number, size) in the order they will be joined.
    :returns: the first (part number, size) below ``min_size``, the final
        part excepted, or None.
    """
    for part_number, size in sizes[:-1]:
        if size < min_size:
            return part_number, size
    return None
