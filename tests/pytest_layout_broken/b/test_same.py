# Same basename as a/test_same.py and neither directory is a package: pytest's
# "import file mismatch".
def test_in_b():
    pass
