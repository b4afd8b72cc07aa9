"""Page sections with their prose: the loop over a cell and stacks on /shapes, the cuDNN
checklist on /cross_check, Keras vs PyTorch on /parameters and /shapes."""
