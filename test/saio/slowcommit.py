"""An object server that is slow to commit, for race tests.

A SAIO started with ``commit_delay=S`` (seconds) runs this app instead of
``egg:swift#object``. It is Swift's object server in all but one thing:
every object PUT has received its whole body and then waits ``S`` seconds
before the data file is put in place (``DiskFileWriter.put``), as a busy
disk or a loaded node does. Until then the object server holds the older
object, or none; the PUT's answer comes after the commit, as before.

A guarantee that rests on a request reaching its write within some time
breaks here (issue 11 measured the timing fence doing so); one that rests
on what is durably stored does not.

The delay is a green sleep: the server goes on serving other requests.
"""

import eventlet

from swift.obj import server


class SlowWriter(object):
    """A DiskFileWriter whose ``put`` first waits."""

    def __init__(self, writer, delay):
        self._writer = writer
        self._delay = delay

    def put(self, metadata):
        eventlet.sleep(self._delay)
        return self._writer.put(metadata)

    def __getattr__(self, name):
        return getattr(self._writer, name)


class SlowDiskFile(object):
    """A DiskFile whose writers are :class:`SlowWriter`."""

    def __init__(self, disk_file, delay):
        self._disk_file = disk_file
        self._delay = delay

    def writer(self, *args, **kwargs):
        return SlowWriter(self._disk_file.writer(*args, **kwargs),
                          self._delay)

    def __getattr__(self, name):
        return getattr(self._disk_file, name)


class SlowCommitObjectController(server.ObjectController):
    """``commit_delay``: seconds between a PUT's body and its commit."""

    def __init__(self, conf, logger=None):
        super(SlowCommitObjectController, self).__init__(conf, logger)
        self.commit_delay = float(conf.get('commit_delay', 0))
        if self.commit_delay < 0:
            raise ValueError('commit_delay must not be negative')

    def _pre_create_checks(self, request, *args, **kwargs):
        # PUT's only way to its DiskFile
        disk_file, fsize, orig_metadata = super(
            SlowCommitObjectController, self)._pre_create_checks(
                request, *args, **kwargs)
        if self.commit_delay:
            disk_file = SlowDiskFile(disk_file, self.commit_delay)
        return disk_file, fsize, orig_metadata


def app_factory(global_conf, **local_conf):
    """paste.deploy app factory (``paste.app_factory = <this>:app_factory``)
    """
    conf = global_conf.copy()
    conf.update(local_conf)
    return SlowCommitObjectController(conf)
