"""hypothesis strategies of the requests test_fuzz.py sends.

Text a case names as ``REAL_UPLOAD``, ``REAL_ETAG`` or ``{b}`` stands for
the current upload id, the parts' ETag and the bucket, filled in when the
case is sent (they change while the fuzz runs).
"""

from xml.sax.saxutils import escape

from hypothesis import strategies as st

from test.functional.rawhttp import quote_key

REAL_UPLOAD = '\N{REPLACEMENT CHARACTER}upload'
REAL_ETAG = '\N{REPLACEMENT CHARACTER}etag'

# Characters XML 1.0 cannot carry (C0 controls but tab, LF, CR; U+FFFE,
# U+FFFF) once answered 500 (test_fuzz.TestKnownBugs); they are in the
# fuzz's text again.
CHARS = st.characters(codec='utf-8')


def texts(min_size=0, max_size=40):
    return st.text(CHARS, min_size=min_size, max_size=max_size)


SMALL_INTS = st.integers(-3, 10003)
NUMBERS = st.one_of(
    SMALL_INTS.map(str), st.integers(-2 ** 70, 2 ** 70).map(str),
    st.sampled_from(['', ' 1', '1 ', '+1', '01', '1.0', '1e3', '0x1f',
                     '\N{ARABIC-INDIC DIGIT ONE}', 'NaN', '-0', '2147483648',
                     '9223372036854775808', '10000', '10001', '0']),
    texts(max_size=12))
UPLOAD_IDS = st.one_of(
    st.just(REAL_UPLOAD),
    st.sampled_from([REAL_UPLOAD + '/..', REAL_UPLOAD + '/1',
                     '../' + REAL_UPLOAD, REAL_UPLOAD + '\x00',
                     REAL_UPLOAD + REAL_UPLOAD, '', '..', '/', '//', '%2F',
                     'a/b', '\x00', 'x\x00y', '\u00fcn\u00efc\u00f8d\u00e9',
                     '\U0001f600', ' ', '*', '?', '#', '&', '=']),
    texts(max_size=64))
TEXT = st.one_of(texts(max_size=40), st.sampled_from(
    ['', '/', '..', '../..', 'obj', 'obj/', '\x00', '%', '%00', 'url',
     'URL', '\u00fc', REAL_UPLOAD]))
KEYS = st.one_of(
    st.sampled_from(['obj', 'done', 'plain', 'nothing']),
    st.sampled_from(['obj/..', '../obj', 'obj/' + REAL_UPLOAD,
                     'obj/' + REAL_UPLOAD + '/1', '\u00fc', 'a' * 1024,
                     'a' * 1025, '\x00', '%00', 'obj?x']),
    texts(min_size=1, max_size=60))


def params(names, values):
    """Some of ``names`` (and other names), each with a value or none,
    in any order, seldom repeated."""
    pair = st.tuples(st.one_of(st.sampled_from(names), texts(max_size=10)),
                     st.one_of(values, st.none()))
    # a repeated name is rarely worth a case: s3api keeps one of the
    # values, so the signature does not match (403)
    return st.one_of(st.lists(pair, max_size=6, unique_by=lambda p: p[0]),
                     st.lists(pair, max_size=3))


LIST_UPLOADS_PARAMS = params(
    ['key-marker', 'upload-id-marker', 'max-uploads', 'prefix', 'delimiter',
     'encoding-type'], st.one_of(NUMBERS, UPLOAD_IDS, TEXT))
LIST_PARTS_PARAMS = params(
    ['max-parts', 'part-number-marker', 'encoding-type', 'uploadId'],
    st.one_of(NUMBERS, UPLOAD_IDS))
QUERY_CASES = st.one_of(
    st.tuples(st.just('GET'), st.none(), LIST_UPLOADS_PARAMS.map(
        lambda p: [('uploads', None)] + p)),
    st.tuples(st.just('GET'), KEYS, st.tuples(UPLOAD_IDS, LIST_PARTS_PARAMS)
              .map(lambda t: [('uploadId', t[0])] + t[1])),
    st.tuples(st.just('PUT'), KEYS, st.tuples(NUMBERS, UPLOAD_IDS).map(
        lambda t: [('partNumber', t[0]), ('uploadId', t[1])])),
    st.tuples(st.just('PUT'), KEYS, st.tuples(NUMBERS, UPLOAD_IDS).map(
        lambda t: [('uploadId', t[1]), ('partNumber', t[0])])),
    st.tuples(st.just('DELETE'), KEYS, UPLOAD_IDS.map(
        lambda u: [('uploadId', u)])),
    st.tuples(st.sampled_from(['GET', 'HEAD']), KEYS, st.tuples(
        NUMBERS, params(['versionId', 'uploadId'], UPLOAD_IDS)).map(
            lambda t: [('partNumber', t[0])] + t[1])),
    st.tuples(st.just('POST'), KEYS, params(['uploads', 'uploadId'], TEXT)
              .map(lambda p: [('uploads', None)] + p)),
    st.tuples(st.just('GET'), KEYS, params(
        ['attributes', 'max-parts', 'part-number-marker'], NUMBERS).map(
            lambda p: [('attributes', None)] + p)),
)


@st.composite
def part_elements(draw):
    """One <Part>, its children shuffled, missing or repeated."""
    children = draw(st.lists(st.sampled_from(
        ['PartNumber', 'ETag', 'ChecksumCRC32', 'ChecksumSHA256', 'Other']),
        max_size=4))
    if draw(st.booleans()):
        children = ['PartNumber', 'ETag']
    out = []
    for tag in children:
        if tag == 'PartNumber':
            text = draw(st.one_of(st.sampled_from(['1', '2', '3']), NUMBERS))
        elif tag == 'ETag':
            text = draw(st.one_of(
                st.sampled_from([REAL_ETAG, '"%s"' % REAL_ETAG,
                                 '&quot;%s&quot;' % REAL_ETAG, REAL_ETAG[:5],
                                 REAL_ETAG + '-1', '0' * 32, 'f' * 32,
                                 'G' * 32]),
                texts(max_size=40)))
        else:
            text = draw(texts(max_size=20))
        if '&' not in text:
            text = escape(text)
        out.append('<%s>%s</%s>' % (tag, text, tag))
    return '<Part>%s</Part>' % ''.join(out)


@st.composite
def complete_bodies(draw):
    """A CompleteMultipartUpload document, well-formed or not."""
    prolog = draw(st.sampled_from([
        '', '<?xml version="1.0" encoding="UTF-8"?>\n',
        '<?xml version="1.0"?>',
        '<?xml version="1.0" encoding="UTF-16"?>',
        '<?xml version="1.0" encoding="ISO-8859-1"?>',
        '<?xml version="1.0" encoding="bogus"?>', '<?xml version="9"?>',
        '<!DOCTYPE CompleteMultipartUpload>']))
    root = draw(st.sampled_from([
        'CompleteMultipartUpload',
        'CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/'
        '2006-03-01/"', 'CompleteMultipartUpload xmlns="urn:x"',
        'x:CompleteMultipartUpload xmlns:x="urn:x"', 'Delete', 'Part']))
    parts = draw(st.lists(part_elements(), max_size=5))
    doc = '%s<%s>%s</%s>' % (prolog, root, ''.join(parts), root.split()[0])
    body = doc.encode('utf-8')
    mutation = draw(st.sampled_from(['none'] * 4 + ['cut', 'insert', 'raw']))
    if mutation == 'cut':
        body = body[:draw(st.integers(0, len(body)))]
    elif mutation == 'insert':
        at = draw(st.integers(0, len(body)))
        body = body[:at] + draw(st.binary(max_size=8)) + body[at:]
    elif mutation == 'raw':
        body = draw(st.binary(max_size=200))
    return body


HEADER_TEXT = st.text(alphabet=st.characters(
    min_codepoint=0x21, max_codepoint=0x7e), max_size=60)


@st.composite
def copy_sources(draw):
    """x-amz-copy-source: sane, near-sane or junk, often quoted."""
    name = draw(st.one_of(
        st.sampled_from(['/{b}/done', '{b}/done', '/{b}/plain',
                         '/{b}/done?versionId=null', '/{b}/done?versionId=x',
                         '/{b}/nothing', '/{b}+segments/done',
                         '/{b}+segments/obj/' + REAL_UPLOAD + '/1',
                         '/{b}/obj', '/nobucket/x', '/{b}', '/{b}/', '/',
                         '', '//', '/{b}//done', '/{b}/../{b}/done',
                         '/{b}/done%00', '/%s/done' % ('x' * 300)]),
        texts(max_size=60).map(lambda t: '/{b}/' + t),
        HEADER_TEXT))
    try:
        name.encode('latin-1')
    except UnicodeEncodeError:
        quoted = True   # HTTP headers are latin-1
    else:
        # a control character (CR, LF...) no client can send in a header
        # (http.client refuses it): quoted, as a client would
        coin = draw(st.booleans())
        quoted = coin or any(ord(c) < 0x20 or ord(c) == 0x7f for c in name)
    return quote_key(name) if quoted else name


RANGE_UNITS = st.one_of(
    st.integers(-5, 5000).map(str), st.sampled_from(['', ' ', '-', 'x']),
    st.integers(0, 2 ** 70).map(str))
RANGES = st.one_of(
    st.tuples(RANGE_UNITS, RANGE_UNITS).map(lambda t: 'bytes=%s-%s' % t),
    st.lists(st.tuples(RANGE_UNITS, RANGE_UNITS).map('%s-%s'.__mod__),
             min_size=1, max_size=4).map(lambda r: 'bytes=' + ','.join(r)),
    st.sampled_from(['bytes=', 'bytes=-', 'bytes=0-0,-1', 'bytes=1-0',
                     'items=0-1', 'bytes 0-1', 'bytes=0-1 ', '=0-1']),
    HEADER_TEXT)
COPY_HEADERS = st.dictionaries(
    st.sampled_from(['x-amz-copy-source-range',
                     'x-amz-copy-source-if-match',
                     'x-amz-copy-source-if-none-match',
                     'x-amz-copy-source-if-modified-since',
                     'x-amz-copy-source-if-unmodified-since']),
    st.one_of(RANGES, HEADER_TEXT, st.sampled_from(
        ['"%s"' % REAL_ETAG, '*', 'Sat, 01 Jan 2000 00:00:00 GMT'])),
    max_size=3)
