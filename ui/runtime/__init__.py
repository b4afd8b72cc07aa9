"""Runtime glue: the chart element, the current model and input (``lab``), the cached
experiments, the budgets, the background cross-check and its worker process, the last-resort
guard, and the one module that holds private Streamlit use."""
