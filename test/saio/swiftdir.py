"""Make Swift read ``swift.conf`` from a SAIO state directory.

Swift reads ``/etc/swift/swift.conf`` (``swift.common.utils.SWIFT_CONF_FILE``)
when some of its modules are *imported*: ``swift.common.constraints`` sets its
limits and ``swift.common.storage_policy`` its policies at import time. The
``swift_dir`` option of a server's config only changes where the hash path
prefix/suffix and the rings are read from, after those imports. A SAIO must
not write to /etc, so :func:`use_state_dir` points Swift at the state
directory's file, and reloads constraints and policies if they were already
imported. Call it before importing anything else from Swift when you can:
names bound with ``from swift.common.constraints import X`` before the call
keep their old values.
"""

import os
import sys


def use_state_dir(state_dir):
    """Make this process's Swift use ``<state_dir>/swift.conf``.

    :param state_dir: a SAIO state directory (with a swift.conf in it)
    :returns: the path of the swift.conf now in use
    :raises IOError: if there is no swift.conf in ``state_dir``
    :raises swift.common.exceptions.InvalidHashPathConfigError: if the file
        has neither a hash path prefix nor suffix
    """
    swift_conf = os.path.join(os.path.abspath(state_dir), 'swift.conf')
    if not os.path.isfile(swift_conf):
        raise IOError('no swift.conf in %s (was the SAIO ever started?)'
                      % (state_dir,))
    from swift.common import utils
    utils.SWIFT_CONF_FILE = swift_conf
    # validate_hash_conf() only reads the file while both are empty
    utils.HASH_PATH_PREFIX = b''
    utils.HASH_PATH_SUFFIX = b''
    utils.validate_hash_conf()
    constraints = sys.modules.get('swift.common.constraints')
    if constraints is not None:
        constraints.reload_constraints()
    storage_policy = sys.modules.get('swift.common.storage_policy')
    if storage_policy is not None:
        storage_policy.reload_storage_policies()
    return swift_conf


def describe():
    """One line saying which swift.conf this process's Swift uses."""
    from swift.common import constraints, storage_policy, utils
    return ('swift.conf=%s constraints_loaded=%s policies=%s' % (
        utils.SWIFT_CONF_FILE, constraints.SWIFT_CONSTRAINTS_LOADED,
        ','.join(p.name for p in storage_policy.POLICIES)))
