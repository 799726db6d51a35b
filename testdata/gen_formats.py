"""Fixtures of the non-pickle formats: safetensors, GGUF, ONNX, Keras, TensorFlow
SavedModel, and Hugging Face repository layouts. Called by generate.py.
"""


def generate(r):
    """Adds this module's fixtures to the registry `r` (generate.Registry)."""
