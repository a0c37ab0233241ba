"""Flexible checksums of multipart uploads: pure helpers, no WSGI.

https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html

An upload may declare an algorithm and a type at Create:

* COMPOSITE: the object's checksum is the algorithm over the concatenated
  binary checksums of the parts, then ``-<number of parts>``;
* FULL_OBJECT (CRCs only): the checksum of the whole object's bytes, which
  we get by combining the parts' CRCs with their sizes, without reading
  any data again.
"""

import base64
import hashlib

from swift.common.utils import checksum

ALGORITHMS = ('CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256')
COMPOSITE = 'COMPOSITE'
FULL_OBJECT = 'FULL_OBJECT'
TYPES = (COMPOSITE, FULL_OBJECT)

HASHERS = {
    'CRC32': checksum.crc32,
    'CRC32C': checksum.crc32c,
    'CRC64NVME': checksum.crc64nvme,
    'SHA1': hashlib.sha1,
    'SHA256': hashlib.sha256,
}
# reflected polynomial and width of each CRC, for combining
CRC_PARAMS = {
    'CRC32': (0xEDB88320, 32),
    'CRC32C': (0x82F63B78, 32),
    'CRC64NVME': (0x9A6C9329AC4BC9B5, 64),
}


class ChecksumError(ValueError):
    """A checksum declaration AWS refuses; the message says why."""


def header_name(algorithm):
    """``x-amz-checksum-crc32`` for ``CRC32``."""
    return 'x-amz-checksum-' + algorithm.lower()


def element_name(algorithm):
    """``ChecksumCRC32`` for ``CRC32`` (the XML element)."""
    return 'Checksum' + algorithm


def algorithm_of_header(name):
    """``CRC32`` for ``x-amz-checksum-crc32``, else None."""
    name = name.lower()
    for algorithm in ALGORITHMS:
        if name == header_name(algorithm):
            return algorithm
    return None


def declared(algorithm, checksum_type):
    """
    Validate what Create declared and fill in AWS's default type.

    :param algorithm: x-amz-checksum-algorithm, or None.
    :param checksum_type: x-amz-checksum-type, or None.
    :returns: (algorithm, type), both None when nothing was declared.
    :raises ChecksumError: a value or combination AWS does not allow.
    """
    if algorithm is None:
        if checksum_type is not None:
            raise ChecksumError(
                'The x-amz-checksum-type header can only be used with the '
                'x-amz-checksum-algorithm header.')
        return None, None
    algorithm = algorithm.upper()
    if algorithm not in ALGORITHMS:
        raise ChecksumError(
            'Checksum algorithm provided is unsupported. Please try again '
            'with any of the valid types: [%s]' % ', '.join(ALGORITHMS))
    if checksum_type is None:
        checksum_type = FULL_OBJECT if algorithm == 'CRC64NVME' \
            else COMPOSITE
    checksum_type = checksum_type.upper()
    if checksum_type not in TYPES:
        raise ChecksumError('Value for x-amz-checksum-type header is '
                            'invalid.')
    if checksum_type == FULL_OBJECT and algorithm not in CRC_PARAMS:
        raise ChecksumError('The %s checksum algorithm cannot be used with '
                            'the FULL_OBJECT checksum type.' % algorithm)
    if checksum_type == COMPOSITE and algorithm == 'CRC64NVME':
        raise ChecksumError('The CRC64NVME checksum algorithm cannot be '
                            'used with the COMPOSITE checksum type.')
    return algorithm, checksum_type


def b64(digest):
    return base64.b64encode(digest).decode('ascii')


def raw(value):
    """The binary digest of a base64 checksum; ValueError if malformed."""
    try:
        return base64.b64decode(value, validate=True)
    except (TypeError, ValueError) as err:
        raise ValueError(str(err))


def composite(algorithm, part_values):
    """
    :param part_values: base64 checksums of the parts, in order.
    :returns: the COMPOSITE checksum, ``<base64>-<number of parts>``.
    """
    hasher = HASHERS[algorithm]()
    for value in part_values:
        hasher.update(raw(value))
    return '%s-%d' % (b64(hasher.digest()), len(part_values))


def _times(matrix, vector):
    total = 0
    row = 0
    while vector:
        if vector & 1:
            total ^= matrix[row]
        vector >>= 1
        row += 1
    return total


def _square(matrix):
    return [_times(matrix, column) for column in matrix]


class CrcCombiner(object):
    """
    Combines reflected CRCs of consecutive blocks into the CRC of their
    concatenation: CRC(A+B) from CRC(A), CRC(B) and len(B). Appending
    len(B) zero bytes to A is a linear map over GF(2); its matrix is built
    by repeated squaring (and kept per length: parts mostly share one).
    """

    def __init__(self, algorithm):
        self.poly, self.width = CRC_PARAMS[algorithm]
        self._by_length = {}

    def _zeros_operator(self, length):
        """The matrix that appends ``length`` zero bytes to a CRC."""
        if length in self._by_length:
            return self._by_length[length]
        # one zero bit: shift right, xor the polynomial if a bit fell off
        one_bit = [self.poly] + [1 << n for n in range(self.width - 1)]
        power = _square(_square(_square(one_bit)))   # one zero byte
        result = None
        remaining = length
        while remaining:
            if remaining & 1:
                result = power if result is None else \
                    [_times(power, column) for column in result]
            remaining >>= 1
            if remaining:
                power = _square(power)
        self._by_length[length] = result
        return result

    def combine(self, crc_a, crc_b, length_b):
        if length_b == 0:
            return crc_a
        return _times(self._zeros_operator(length_b), crc_a) ^ crc_b


def full_object(algorithm, parts):
    """
    :param parts: (base64 CRC, size) of each part, in order.
    :returns: the base64 CRC of the whole object.
    """
    combiner = CrcCombiner(algorithm)
    nbytes = CRC_PARAMS[algorithm][1] // 8
    crc = 0
    for value, size in parts:
        crc = combiner.combine(crc, int.from_bytes(raw(value), 'big'), size)
    return b64(crc.to_bytes(nbytes, 'big'))


def object_checksum(algorithm, checksum_type, parts):
    """
    :param parts: (base64 checksum, size) of each part, in order.
    """
    if checksum_type == FULL_OBJECT:
        return full_object(algorithm, parts)
    return composite(algorithm, [value for value, _ in parts])
