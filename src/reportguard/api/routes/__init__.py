"""The API's routes, one module per area, in the order of the pipeline."""
