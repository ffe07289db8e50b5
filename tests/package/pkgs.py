"""Where the package tests find the packages `make package` built, and their versions."""
import glob
import os
import re

PACKAGES = os.environ.get("XR_PACKAGES", "")
ROOT = os.environ.get("XR_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "../..")))


def one(pattern):
    found = glob.glob(os.path.join(PACKAGES, pattern))
    if len(found) != 1:
        raise AssertionError("expected one %s in %s, found %s" % (pattern, PACKAGES, found))
    return found[0]


def version():
    with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
        return re.search(r"project\(xapi-rest VERSION ([0-9.]+)", f.read()).group(1)


def deb():
    return one("xapi-rest_%s-*_amd64.deb" % version())


def rpm():
    return one("xapi-rest-%s-*.x86_64.rpm" % version())
