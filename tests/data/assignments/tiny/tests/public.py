from grader.testing import check


@check("add", "example", points=1)
def example(submission):
    assert submission.add(1, 2) == 3, "add(1, 2) should be 3"
