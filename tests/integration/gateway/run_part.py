"""Runs one part of a gateway suite, so that ctest can run a long suite as several tests side
by side (CI's time budget):   run_part.py test_<suite>.py PART PARTS
The suite's test classes, in the order the file defines them, are dealt round-robin into PARTS
parts and part PART (1-based) runs, as `unittest.main(verbosity=2)` would run it. Every class
lands in exactly one part, including classes added later: the parts together are the suite."""
import importlib.util
import inspect
import os
import sys
import unittest


def classes_in_order(module):
    found = [c for _, c in inspect.getmembers(module, inspect.isclass)
             if issubclass(c, unittest.TestCase) and c.__module__ == module.__name__]
    return sorted(found, key=lambda c: inspect.getsourcelines(c)[1])


def main(argv):
    if len(argv) != 4 or not (1 <= int(argv[2]) <= int(argv[3])):
        sys.exit("usage: run_part.py test_<suite>.py PART PARTS")
    path, part, parts = os.path.abspath(argv[1]), int(argv[2]), int(argv[3])
    sys.path.insert(0, os.path.dirname(path))
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    mine = classes_in_order(module)[part - 1::parts]
    print("part %d/%d of %s: %s" % (part, parts, name, " ".join(c.__name__ for c in mine)), flush=True)
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromTestCase(c) for c in mine)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    sys.exit(0 if result.wasSuccessful() and result.testsRun > 0 else 1)


if __name__ == "__main__":
    main(sys.argv)
