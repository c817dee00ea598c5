import numpy as np
from tinyhelp import FACTOR


def add(a, b):
    return a + b


def scale(x):
    return np.asarray(x) * FACTOR
