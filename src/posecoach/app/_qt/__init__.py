"""Private Qt views of the app: they display the pure models and the worker's results."""
