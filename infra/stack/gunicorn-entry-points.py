"""Looks gunicorn's entry points up as gunicorn 21 does, in Debian's gunicorn 20.1.

gunicorn 20.1 imports pkg_resources at start for two rarely used lookups
(`egg:` worker and logger URIs); that import is ~60 % of gunicorn's own start
(about 0.12 s on 2 cores), paid by each boot of a gunicorn dyno whose app
does not import pkg_resources itself (Flask and Django do not; Pyramid does).
gunicorn 21 looks entry points up with importlib.metadata instead; here that
module is imported only when a lookup is asked for. A version pin in an `egg:`
URI is not checked, as gunicorn 21 does not check it. A gunicorn whose text
differs is left as it is: the stack's test says so.
"""
import py_compile
import sys

import gunicorn.util

PATH = gunicorn.util.__file__
IMPORT = "import pkg_resources\n"
CALL = "pkg_resources.load_entry_point("
LOOKUP = '''

def _load_entry_point(requirement, group, name):
    # As gunicorn 21 looks them up, with importlib.metadata imported only now.
    import importlib.metadata
    import re

    dist = re.split(r"[\\s<>=!~;\\[]", requirement.strip(), maxsplit=1)[0]
    if not dist:
        # importlib.metadata would answer with the first distribution it finds.
        raise ImportError("No distribution named in %r" % requirement)
    for entry_point in importlib.metadata.distribution(dist).entry_points:
        if entry_point.group == group and entry_point.name == name:
            return entry_point.load()
    raise ImportError("Entry point %r not found in %s" % ((group, name), dist))
'''

with open(PATH, encoding="utf-8") as source:
    text = source.read()
if text.count(IMPORT) != 1 or text.count(CALL) != 2 or "pkg_resources" in text.replace(IMPORT, "").replace(CALL, ""):
    print("gunicorn.util is not the text this backport knows; left as it is", file=sys.stderr)
    sys.exit(0)
text = text.replace(IMPORT, "").replace(CALL, "_load_entry_point(") + LOOKUP
with open(PATH, "w", encoding="utf-8") as target:
    target.write(text)
py_compile.compile(PATH, doraise=True)
