# ---
# jupyter:
#   kernelspec:
#     name: python3
# ---

# %% [markdown]
# # Title

# %%
import numpy as np

# %% GRADED FUNCTION: sigmoid
def sigmoid(z):
    return 1 / (1 + np.exp(-z))

#%%
%matplotlib inline
print(sigmoid(0))
