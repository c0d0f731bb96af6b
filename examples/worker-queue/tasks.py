"""Work the web process hands to the worker through Redis."""


def square(n):
    return n * n
