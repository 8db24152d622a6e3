"""A plugin found on a directory a test adds to sys.path."""


def greet():
    return "hello"
