"""Domain model and rules of the residents' app platform. Never imports the web framework."""
