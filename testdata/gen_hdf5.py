"""HDF5 layouts (superblock versions, object header versions, attribute storage)
for the pure-Rust HDF5 reader. Called by generate.py.
"""


def generate(r):
    """Adds this module's fixtures to the registry `r` (generate.Registry)."""
