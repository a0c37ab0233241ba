"""One object-replicator pass over the object servers of a SAIO.

Usage::

    python -m test.saio.replicate CONF [CONF...]

For each object server config (its ``devices``, ``swift_dir`` and
``bind_port``), Swift's object replicator runs once with ``sync_method =
ssync`` (over the object servers' own HTTP: no rsync daemon), as a
cluster's replicators would: handoffs go to the primaries that lack them,
tombstones reach the nodes that missed a DELETE. Its recon cache goes to
the state directory's ``run/``. See
:meth:`test.saio.faults.ServerControl.replicate_objects`.
"""

import os
import sys
from configparser import ConfigParser

from test.saio.server import swift_dir_of
from test.saio.swiftdir import use_state_dir

REPLICATOR_LOG = 'object-replicator'


def replicate(conf_paths):
    """Run one ssync pass of the object replicator per config."""
    swift_dir = swift_dir_of(conf_paths[0])
    use_state_dir(swift_dir)
    from swift.common.utils import get_logger
    from swift.obj.replicator import ObjectReplicator
    for path in conf_paths:
        parser = ConfigParser(interpolation=None)
        parser.read(path)
        conf = dict(parser.defaults(), sync_method='ssync',
                    log_name=REPLICATOR_LOG,
                    recon_cache_path=os.path.join(swift_dir, 'run'))
        logger = get_logger(conf, log_route=REPLICATOR_LOG,
                            log_to_console=True)
        ObjectReplicator(conf, logger=logger).run_once()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print('usage: python -m test.saio.replicate CONF '
              '[CONF...]', file=sys.stderr)
        return 2
    replicate(argv)
    return 0


if __name__ == '__main__':
    sys.exit(main())
