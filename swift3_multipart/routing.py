"""Which of our controllers replaces which of s3api's.

s3api picks a controller class for every request (``S3Request.controller``);
:data:`OVERRIDES` maps that choice to ours. A class not in the table is used
as upstream chose it. The middleware hands the table to upstream's
``controller_overrides`` where Swift has it (``patches/``), else looks each
request up with :func:`controller_for`.
"""

from swift.common.middleware.s3api import controllers as upstream

from swift3_multipart.controllers.bucket import BucketController
from swift3_multipart.controllers.obj import ObjectController
from swift3_multipart.controllers.part import PartController
from swift3_multipart.controllers.upload import UploadController
from swift3_multipart.controllers.uploads import UploadsController

OVERRIDES = {
    upstream.BucketController: BucketController,
    upstream.ObjectController: ObjectController,
    upstream.PartController: PartController,
    upstream.UploadController: UploadController,
    upstream.UploadsController: UploadsController,
}


def controller_for(upstream_choice):
    """
    :param upstream_choice: the controller class s3api chose.
    :returns: the controller class that handles the request.
    """
    return OVERRIDES.get(upstream_choice, upstream_choice)
