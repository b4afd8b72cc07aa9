"""Check an rnn_core layer against real Keras, in three parts:

- ``keras_twin``: the equivalent Keras layer (TensorFlow imported lazily, in ``import_tf`` only);
- ``cudnn``: would Keras use its fused cuDNN kernel? the rules as records, read from Keras;
- ``compare``: run both on the same x, compare ``outputs`` and every step (``steps``), time both.

Importing this package does not import TensorFlow.
"""
from .compare import TIMING_REPEATS, CrossCheckResult, Diff, run, timed_ms, warm_ms
from .cudnn import Report as CudnnReport
from .cudnn import Rule as CudnnRule
from .cudnn import rules as cudnn_rules
from .keras_twin import INSTALL_HINT, TensorFlowUnavailable, is_available, to_keras

__all__ = ["run", "to_keras", "is_available", "TensorFlowUnavailable", "INSTALL_HINT",
           "CrossCheckResult", "Diff", "CudnnReport", "CudnnRule", "cudnn_rules",
           "TIMING_REPEATS", "timed_ms", "warm_ms"]
