"""Our multipart controllers; :mod:`swift3_multipart.routing` installs them."""
