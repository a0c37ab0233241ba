"""S3 Multipart Upload API for OpenStack Swift.

Importing this package changes nothing in Swift: our controllers are only
installed into a pipeline by
:func:`swift3_multipart.middleware.filter_factory`.
"""

__version__ = '0.1.0'
