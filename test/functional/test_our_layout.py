"""Uploads of our layout (``upload_layout = immutable``), s3_acl off: what
a client sees, and the four races of test_races, no fence, no settle."""

from test.functional import our_layout, test_races

setUpModule, tearDownModule = our_layout.use_saio('ours', 260)


class TestOurUploads(our_layout.OurUploads):
    pass


class TestOurRaces(test_races.TestRaces):
    # fewer than the stock layout's: the session runs those too
    trials = min(test_races.TRIALS, 40)
    label = 'our layout'
