"""Run one Swift server of a SAIO in the foreground.

Usage::

    python -m test.saio.server \
        <proxy|account|container|object> CONF

This is what ``swift-proxy-server CONF -v`` and friends do, except that the
``swift.conf`` used is the one next to the rings (the ``swift_dir`` of
CONF's ``[DEFAULT]``) instead of ``/etc/swift/swift.conf``; see
:mod:`test.saio.swiftdir`. Logs go to stderr (``-v``), which the
launcher points at a file: there may be no syslog.
"""

import os
import sys
from configparser import ConfigParser

from test.saio.swiftdir import use_state_dir, describe

SECTIONS = {
    'proxy': 'proxy-server',
    'account': 'account-server',
    'container': 'container-server',
    'object': 'object-server',
}
# modules that read swift.conf when imported
_READS_SWIFT_CONF = ('swift.common.constraints', 'swift.common.storage_policy')


def swift_dir_of(conf_path):
    """The ``swift_dir`` of a server config, default its own directory."""
    parser = ConfigParser(interpolation=None)
    parser.read(conf_path)
    return parser.defaults().get('swift_dir') or os.path.dirname(conf_path)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] not in SECTIONS:
        print('usage: python -m test.saio.server '
              '<%s> CONF' % '|'.join(sorted(SECTIONS)), file=sys.stderr)
        return 2
    kind, conf_path = argv[0], os.path.abspath(argv[1])
    if not os.path.isfile(conf_path):
        print('no such config file: %s' % conf_path, file=sys.stderr)
        return 2
    early = [m for m in _READS_SWIFT_CONF if m in sys.modules]
    use_state_dir(swift_dir_of(conf_path))
    from swift.common import wsgi
    kwargs = {'verbose': True}
    if kind == 'object':
        from swift.obj.server import global_conf_callback
        kwargs['global_conf_callback'] = global_conf_callback
    print('saio %s-server pid %d: %s%s' % (
        kind, os.getpid(), describe(),
        ' (reloaded: %s)' % ','.join(early) if early else ''),
        file=sys.stderr)
    sys.stderr.flush()
    return wsgi.run_wsgi(conf_path, SECTIONS[kind], **kwargs)


if __name__ == '__main__':
    sys.exit(main())
