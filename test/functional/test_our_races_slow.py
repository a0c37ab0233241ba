"""The four races of test_races on our layout, on SAIOs whose object
servers are slow to commit: each object PUT waits 0.3 s, or 1 s, between
its body and its commit (:mod:`test.saio.slowcommit`), as a
busy disk does. The timing fence of the stock layout broke objects at
these delays (issue 11: 8 of 30 Completes vs UploadPart at 0.3 s); ours
must break none, at any delay.

Each delay runs on a SAIO of its own, ``S3MP_SLOW_RACE_TRIALS`` trials per
race (30 by default). The jitter grows with the delay, so that either
request may still come first, or they overlap.

Two Completes of one upload with different part lists write their
manifests at one timestamp, and an object server keeps whichever it
commits last: a Complete that freed what its own list left out broke the
other's object (4-6 of 30 trials before). The attempts a Complete leaves
now go in the reaper's sweep (``sweep_delay`` later; the trial runs that
sweep before it checks the segments), and this race must lose nothing
either.
"""

import os
import unittest

from test.functional import our_layout, test_races
from test.functional.figures import print_figures  # noqa: F401

TRIALS = int(os.environ.get('S3MP_SLOW_RACE_TRIALS', '30'))


def slow_races(delay, offset):
    """A TestRaces class on a SAIO with a commit delay of ``delay`` s."""
    setup, teardown = our_layout.use_saio(
        'slow%d' % offset, offset, saio_options={'commit_delay': delay})

    class SlowRaces(test_races.TestRaces):
        trials = TRIALS
        label = 'our layout, commit delay %g s' % delay
        # most of a trial is waiting on the disk: more at a time
        workers = 6
        jitter = test_races.JITTER + 2 * delay

        @classmethod
        def setUpClass(cls):
            setup()
            cls.addClassCleanup(teardown)

    return SlowRaces


class TestRacesCommitDelay03(slow_races(0.3, 300)):
    pass


class TestRacesCommitDelay1(slow_races(1.0, 320)):
    pass


if __name__ == '__main__':
    unittest.main()
