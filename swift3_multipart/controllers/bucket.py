"""s3api's bucket controller, plus the bucket lifecycle configuration.

Stock s3api sends ``?lifecycle`` to its bucket controller: GET answers the
object listing and PUT answers MalformedXML. We answer
PutBucketLifecycleConfiguration, GetBucketLifecycleConfiguration and
DeleteBucketLifecycle for rules whose action is
AbortIncompleteMultipartUpload (see :mod:`swift3_multipart.lifecycle`):

https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLifecycleConfiguration.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketLifecycle.html

The configuration is container sysmeta of the bucket, written with a POST
to the container: without ``s3_acl`` Swift lets only the account's owners
do that, as AWS lets only the bucket owner by default. With ``s3_acl``,
every lifecycle request needs the OWNER permission.
"""

import json

from swift.common.middleware.s3api.acl_handlers import BucketAclHandler
from swift.common.middleware.s3api.controllers import bucket as upstream
from swift.common.middleware.s3api.s3response import HTTPOk, \
    HTTPNoContent, MalformedXML, NoSuchLifecycleConfiguration, \
    BucketNotEmpty, VersionedBucketNotEmpty, NoSuchBucket, InternalError, \
    ServiceUnavailable
from swift.common.utils import public

from swift3_multipart import lifecycle
from swift3_multipart.controllers import records
from swift3_multipart.controllers.cleanup import delete_objects
from swift3_multipart.controllers.common import segments_container


class LifecycleAclHandler(BucketAclHandler):
    """With s3_acl: the lifecycle configuration is the bucket owner's."""

    def HEAD(self, app):
        return self._handle_acl(app, 'HEAD', permission='OWNER')

    def POST(self, app):
        # checks with a HEAD; the caller then sends the POST
        self._handle_acl(app, 'POST', permission='OWNER')


class BucketController(upstream.BucketController):
    """Bucket requests, as s3api, and the bucket lifecycle configuration."""
    acl_handler = BucketAclHandler
    resource_type = 'BUCKET'

    @public
    def GET(self, req):
        if 'lifecycle' in req.params:
            return self.get_lifecycle(req)
        return super().GET(req)

    @public
    def PUT(self, req):
        if 'lifecycle' in req.params:
            return self.put_lifecycle(req)
        return super().PUT(req)

    @public
    def DELETE(self, req):
        if 'lifecycle' in req.params:
            return self.delete_lifecycle(req)
        return super().DELETE(req)

    def _delete_segments_bucket(self, req):
        """
        DeleteBucket: as upstream (refuse while the bucket holds objects,
        then empty and remove ``<bucket>+segments``), deleting in parallel:
        a deleted 10,000-part object leaves its segments to the expirer,
        and one by one they outlast a client's timeout.
        """
        try:
            resp = req.get_response(self.app, 'HEAD')
            if int(resp.sw_headers['X-Container-Object-Count']) > 0:
                if resp.sw_headers.get(
                        'X-Container-Sysmeta-Versions-Enabled'):
                    raise VersionedBucketNotEmpty()
                raise BucketNotEmpty()
        except NoSuchBucket:
            pass
        # the uploads of our layout first: none is listed once its parts
        # are going
        records.delete_index(req, self.app,
                             self.conf.segment_delete_concurrency)
        container = segments_container(req)
        query = {'format': 'json', 'marker': ''}
        try:
            while True:
                rows = json.loads(req.get_response(
                    self.app, 'GET', container, query=query).body)
                if not rows:
                    break
                delete_objects(req, self.app, container,
                               [row['name'] for row in rows],
                               self.conf.segment_delete_concurrency,
                               logger=self.logger, sizes={
                                   row['name']: row['bytes'] for row in rows})
                query['marker'] = rows[-1]['name']
            req.get_response(self.app, 'DELETE', container)
        except NoSuchBucket:
            return
        except (BucketNotEmpty, InternalError):
            raise ServiceUnavailable()

    def get_lifecycle(self, req):
        req.set_acl_handler(LifecycleAclHandler(req, self.logger))
        resp = req.get_response(self.app, 'HEAD')
        rules = lifecycle.from_sysmeta(
            resp.sysmeta_headers.get(lifecycle.LIFECYCLE_SYSMETA))
        if not rules:
            raise NoSuchLifecycleConfiguration(bucket_name=req.container_name)
        return HTTPOk(body=lifecycle.configuration_xml(rules),
                      content_type='application/xml')

    def put_lifecycle(self, req):
        req.set_acl_handler(LifecycleAclHandler(req, self.logger))
        body = req.xml(lifecycle.MAX_LIFECYCLE_BODY_SIZE)
        if not body:
            raise MalformedXML()
        # AWS requires Content-MD5 (or, now, an x-amz-checksum-* header,
        # which s3api checks as the body is read)
        req.require_md5(body)
        rules = lifecycle.parse_configuration(
            body, self.conf.abort_incomplete_days_max)
        req.get_response(self.app, 'POST', headers={
            lifecycle.LIFECYCLE_SYSMETA: lifecycle.to_sysmeta(rules)})
        self.logger.increment('mpu.lifecycle.put')
        return HTTPOk()

    def delete_lifecycle(self, req):
        req.set_acl_handler(LifecycleAclHandler(req, self.logger))
        # an empty value removes the metadata; AWS answers 204 whether or
        # not there was a configuration
        req.get_response(self.app, 'POST', headers={
            lifecycle.LIFECYCLE_SYSMETA: ''})
        return HTTPNoContent()
