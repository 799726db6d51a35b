"""ONNX models (written by the onnx library) and TensorFlow SavedModel protobufs.
Called by generate.py.
"""


def generate(r):
    """Adds this module's fixtures to the registry `r` (generate.Registry)."""
