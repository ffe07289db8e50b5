"""xapisim: a simulated XCP-ng / XenServer pool speaking XAPI's wire protocol.

Pure Python 3 standard library (plus Debian's python3-zstandard / python3-xxhash for
the data plane). Independent of the gateway's C++ XAPI client on purpose.
"""
