"""The process: the application factory, the command line and the registry of every surface's routes.
The only package that imports every surface."""
