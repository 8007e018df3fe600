"""Tasks: each wires data, a model, a step function and the shared loop together."""
