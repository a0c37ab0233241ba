"""
The checksums of a completed object's parts, for GetObjectAttributes'
ObjectParts.

A part's checksum is stored twice: on the part (sysmeta) and in its row
of the segments container listing, as a parameter of the row's content
type (:func:`swift3_multipart.mpu.part_content_type`). The manifest names
the part objects but, as SLO writes it, not their checksums. So a page of
ObjectParts reads the upload's rows from the listing: one listing request
per page (of up to 10,000 rows), never a HEAD per part.

https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html
"""

import json

from swift.common.middleware.s3api.s3response import ErrorResponse
from swift.common.swob import str_to_wsgi

from swift3_multipart import layout, mpu
from swift3_multipart.controllers.common import segments_container, key_of
from swift3_multipart.controllers.own import own_response

# rows per listing request (Swift's default container_listing_limit)
LISTING_LIMIT = 10000


def segment_names(entries, container):
    """The name in ``container`` of each manifest entry (None for a
    segment elsewhere: a Swift-native SLO may name any)."""
    prefix = '/%s/' % container
    return [entry['name'][len(prefix):]
            if entry.get('name', '').startswith(prefix) else None
            for entry in entries]


def page_checksums(req, app, upload_id, names, after=None):
    """
    :param names: the segment names of one page of parts, in part order.
    :param after: the name of the part before the page, where names sort
        in part order (our layout's attempts), so that the listing starts
        at the page; None to read the upload's rows from the start (stock
        names do not sort by part number).
    :returns: {name: (algorithm, base64)} of those that have a checksum;
        {} if the listing cannot be read (the parts go without).
    """
    wanted = {name for name in names if name}
    found = {}
    query = {'format': 'json', 'limit': str(LISTING_LIMIT),
             'prefix': layout.parts_prefix(key_of(req), upload_id)}
    if after:
        query['marker'] = after
    seen = 0
    while seen < len(wanted):
        try:
            # our own read, after GetObjectAttributes checked READ on the
            # object: past s3api's ACL handler, which has no rule for it
            resp = own_response(req, app, 'GET', segments_container(req),
                                '', query=query)
            rows = json.loads(resp.body)
        except (ErrorResponse, ValueError):
            return {}
        for row in rows:
            if row['name'] in wanted:
                seen += 1
                checksum = mpu.checksum_from_content_type(
                    row.get('content_type') or '')
                if checksum:
                    found[row['name']] = checksum
        if len(rows) < LISTING_LIMIT:
            break
        query['marker'] = str_to_wsgi(rows[-1]['name'])
    return found
