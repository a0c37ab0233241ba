"""One builder or parser per multipart S3 document, on s3api's etree.

s3api's parser does not resolve entities and never touches the network, so
entity expansion and external entities in a body are not followed.
"""

from urllib.parse import quote

from swift.common.middleware.s3api.etree import Element, SubElement, \
    fromstring, tostring, XMLSyntaxError, DocumentInvalid
from swift.common.middleware.s3api.s3response import MalformedXML, \
    InvalidPart, InvalidPartOrder, InvalidPartArgument

from swift3_multipart import mpu


def _owner(parent, tag, user_id):
    elem = SubElement(parent, tag)
    SubElement(elem, 'ID').text = user_id
    SubElement(elem, 'DisplayName').text = user_id


def _key(key, encoding_type):
    """
    A key as a document carries it: URL-encoded when the client asked, or
    when XML cannot carry it (a control character: only objects other
    paths wrote can have one, CreateMultipartUpload refuses them).
    """
    if encoding_type == 'url' or not mpu.xml_safe(key):
        return quote(key)
    return key


def initiate_result(bucket, key, upload_id):
    """InitiateMultipartUploadResult."""
    root = Element('InitiateMultipartUploadResult')
    SubElement(root, 'Bucket').text = bucket
    SubElement(root, 'Key').text = _key(key, None)
    SubElement(root, 'UploadId').text = upload_id
    return tostring(root)


def list_parts_result(bucket, key, upload_id, initiator, parts, marker,
                      next_marker, max_parts, truncated, encoding_type,
                      checksum=(None, None)):
    """
    ListPartsResult, elements in the order of AWS's example response (and
    s3api's schema):
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html

    :param parts: dicts with part_number, last_modified (S3 xml format),
        etag (hex), size and checksum ((algorithm, base64) or None).
    :param checksum: (algorithm, type) the upload declared, or Nones.
    """
    root = Element('ListPartsResult')
    SubElement(root, 'Bucket').text = bucket
    SubElement(root, 'Key').text = _key(key, encoding_type)
    SubElement(root, 'UploadId').text = upload_id
    _owner(root, 'Initiator', initiator)
    _owner(root, 'Owner', initiator)
    SubElement(root, 'StorageClass').text = 'STANDARD'
    SubElement(root, 'PartNumberMarker').text = str(marker)
    SubElement(root, 'NextPartNumberMarker').text = str(next_marker)
    SubElement(root, 'MaxParts').text = str(max_parts)
    if encoding_type is not None:
        SubElement(root, 'EncodingType').text = encoding_type
    SubElement(root, 'IsTruncated').text = 'true' if truncated else 'false'
    for part in parts:
        elem = SubElement(root, 'Part')
        SubElement(elem, 'PartNumber').text = str(part['part_number'])
        SubElement(elem, 'LastModified').text = part['last_modified']
        SubElement(elem, 'ETag').text = '"%s"' % part['etag']
        SubElement(elem, 'Size').text = str(part['size'])
        if part.get('checksum'):
            algorithm, value = part['checksum']
            SubElement(elem, 'Checksum' + algorithm).text = value
    _checksum_declaration(root, checksum)
    return tostring(root)


def _checksum_declaration(parent, checksum):
    algorithm, checksum_type = checksum
    if algorithm:
        SubElement(parent, 'ChecksumAlgorithm').text = algorithm
        SubElement(parent, 'ChecksumType').text = checksum_type


def list_uploads_result(bucket, uploads, prefixes, params):
    """
    ListMultipartUploadsResult.

    :param uploads: dicts with key, upload_id, initiated (S3 xml format),
        initiator and checksum ((algorithm, type) Create declared, or
        Nones).
    :param prefixes: CommonPrefixes, sorted.
    :param params: dict with key_marker, upload_id_marker, next_key_marker,
        next_upload_id_marker, max_uploads, truncated, and prefix, delimiter,
        encoding_type when the client sent them (else None).
    """
    enc = params['encoding_type']
    root = Element('ListMultipartUploadsResult')
    SubElement(root, 'Bucket').text = bucket
    SubElement(root, 'KeyMarker').text = _key(params['key_marker'], enc)
    SubElement(root, 'UploadIdMarker').text = params['upload_id_marker']
    SubElement(root, 'NextKeyMarker').text = _key(
        params['next_key_marker'], enc)
    SubElement(root, 'NextUploadIdMarker').text = \
        params['next_upload_id_marker']
    if params['delimiter'] is not None:
        SubElement(root, 'Delimiter').text = _key(params['delimiter'], enc)
    if params['prefix'] is not None:
        SubElement(root, 'Prefix').text = _key(params['prefix'], enc)
    SubElement(root, 'MaxUploads').text = str(params['max_uploads'])
    if enc is not None:
        SubElement(root, 'EncodingType').text = enc
    SubElement(root, 'IsTruncated').text = \
        'true' if params['truncated'] else 'false'
    for upload in uploads:
        elem = SubElement(root, 'Upload')
        SubElement(elem, 'Key').text = _key(upload['key'], enc)
        SubElement(elem, 'UploadId').text = upload['upload_id']
        _owner(elem, 'Initiator', upload['initiator'])
        _owner(elem, 'Owner', upload['initiator'])
        SubElement(elem, 'StorageClass').text = 'STANDARD'
        SubElement(elem, 'Initiated').text = upload['initiated']
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_MultipartUpload.html
        _checksum_declaration(elem, upload.get('checksum', (None, None)))
    for prefix in prefixes:
        elem = SubElement(root, 'CommonPrefixes')
        SubElement(elem, 'Prefix').text = _key(prefix, enc)
    return tostring(root)


def complete_result(location, bucket, key, s3_etag, xml_declaration=True,
                    checksum=None):
    """
    CompleteMultipartUploadResult.

    :param checksum: (algorithm, type, value) of the object, or None.
    """
    root = Element('CompleteMultipartUploadResult')
    SubElement(root, 'Location').text = location
    SubElement(root, 'Bucket').text = bucket
    SubElement(root, 'Key').text = _key(key, None)
    SubElement(root, 'ETag').text = '"%s"' % s3_etag
    if checksum:
        algorithm, checksum_type, value = checksum
        SubElement(root, 'Checksum' + algorithm).text = value
        SubElement(root, 'ChecksumType').text = checksum_type
    return tostring(root, xml_declaration=xml_declaration)


def parse_complete(body, max_part_number, upload_id, logger=None):
    """
    Parse a CompleteMultipartUpload body.

    :returns: a list of (part number, hex etag, {algorithm: base64}),
        strictly ascending.
    :raises MalformedXML: no body, or one that is not a
        CompleteMultipartUpload document with at least one Part. (AWS
        answers both so; stock s3api answers an empty body InvalidRequest,
        "You must specify at least one part".)
    :raises InvalidArgument: a part number outside 1..max_part_number.
    :raises InvalidPartOrder: part numbers not strictly ascending.
    :raises InvalidPart: an ETag that cannot be a part's MD5.
    """
    if not body:
        raise MalformedXML()
    try:
        root = fromstring(body, 'CompleteMultipartUpload', logger)
    except (XMLSyntaxError, DocumentInvalid):
        # the schema also rejects a document without parts
        raise MalformedXML()
    if root.getroottree().docinfo.doctype:
        # no DTDs: entities are neither expanded nor fetched, refuse them
        raise MalformedXML()
    parts = []
    for elem in root.iterchildren('Part'):
        number_text = elem.find('./PartNumber').text
        try:
            number = int(number_text)
        except (TypeError, ValueError):
            raise MalformedXML()
        if not 1 <= number <= max_part_number:
            raise InvalidPartArgument(max_part_number, number)
        sums = {child.tag[len('Checksum'):]: (child.text or '').strip()
                for child in elem.iterchildren()
                if child.tag.startswith('Checksum')}
        parts.append((number, elem.find('./ETag').text, sums))
    if not mpu.check_part_order([number for number, _, _ in parts]):
        raise InvalidPartOrder(upload_id=upload_id)
    result = []
    for number, etag_text, sums in parts:
        etag = mpu.normalize_part_etag(etag_text)
        if etag is None:
            raise InvalidPart(upload_id=upload_id, part_number=number,
                              e_tag=etag_text)
        result.append((number, etag, sums))
    return result


def object_attributes(wanted, etag, size, parts, marker, max_parts,
                      checksum=None):
    """
    GetObjectAttributesResponse, with the elements of ``wanted`` we have:
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html

    :param etag: the object's ETag, unquoted (as AWS answers it here).
    :param parts: [(part number, size, (algorithm, base64) or None)] of a
        multipart object, else None.
    :param checksum: (algorithm, type, value) of the object, or None.

    Of an object uploaded without a checksum AWS gives only the parts'
    count: "if an additional checksum ... isn't applied to the object ...
    the response doesn't return the Part element"
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributesParts.html;
    observed: only TotalPartsCount, whatever MaxParts and the marker).
    """
    root = Element('GetObjectAttributesResponse')
    if 'ETag' in wanted:
        SubElement(root, 'ETag').text = etag
    if 'Checksum' in wanted and checksum:
        algorithm, checksum_type, value = checksum
        elem = SubElement(root, 'Checksum')
        SubElement(elem, 'Checksum' + algorithm).text = value
        SubElement(elem, 'ChecksumType').text = checksum_type
    if 'ObjectParts' in wanted and parts is not None and not checksum:
        # [(part number, size)]
        elem = SubElement(root, 'ObjectParts')
        SubElement(elem, 'PartsCount').text = str(len(parts))
    elif 'ObjectParts' in wanted and parts is not None:
        after = [p for p in parts if p[0] > marker]
        page = after[:max_parts]
        elem = SubElement(root, 'ObjectParts')
        SubElement(elem, 'IsTruncated').text = \
            'true' if len(after) > max_parts else 'false'
        SubElement(elem, 'MaxParts').text = str(max_parts)
        SubElement(elem, 'NextPartNumberMarker').text = str(
            page[-1][0] if page else marker)
        SubElement(elem, 'PartNumberMarker').text = str(marker)
        for number, part_size, part_checksum in page:
            part = SubElement(elem, 'Part')
            if part_checksum:
                SubElement(part, 'Checksum' + part_checksum[0]).text = \
                    part_checksum[1]
            SubElement(part, 'PartNumber').text = str(number)
            SubElement(part, 'Size').text = str(part_size)
        SubElement(elem, 'PartsCount').text = str(len(parts))
    if 'StorageClass' in wanted:
        SubElement(root, 'StorageClass').text = 'STANDARD'
    if 'ObjectSize' in wanted:
        SubElement(root, 'ObjectSize').text = str(size)
    return tostring(root)
