# %%
import numpy as np
import tinyhelp

# %%
def add(x, y):
    return x + y

# %%
def scale(v):
    return v * tinyhelp.FACTOR

# %%
print(add(1, 2))  # top-level code is not run
