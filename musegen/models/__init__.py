"""The models: Keras builders (build) and their NumPy steppers (engine)."""
