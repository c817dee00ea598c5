import numpy as np


def add(a, b):
    return a - b


def scale(x):
    while True:
        pass
