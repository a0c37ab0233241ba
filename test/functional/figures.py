"""Figures the reliability suites print at the end of the pytest run.

A suite calls :func:`record` with one line; the lines are printed in
pytest's terminal summary (also with ``-q``, where the tests' own output is
captured) under "reliability figures". A test module turns this on with::

    from test.functional.figures import print_figures  # noqa: F401
"""

import pytest

_LINES = []
_PLUGIN_NAME = 'swift3_multipart-reliability-figures'


class _Plugin(object):
    def pytest_terminal_summary(self, terminalreporter):
        if _LINES:
            terminalreporter.section('reliability figures')
            for line in _LINES:
                terminalreporter.write_line(line)


def record(suite, text):
    """Print ``suite: text`` at the end of the run (and now, for ``-s``)."""
    line = '%s: %s' % (suite, text)
    _LINES.append(line)
    print(line)


@pytest.fixture(scope='session', autouse=True)
def print_figures(request):
    """Install the summary hook once per session."""
    manager = request.config.pluginmanager
    if not manager.has_plugin(_PLUGIN_NAME):
        manager.register(_Plugin(), _PLUGIN_NAME)
    yield
