"""Load and soak test (`make soak`, `python -m soak`): real processes on loopback, a steady mix
of app and CRM traffic, a Redis restart and a killed worker, then every push requested checked
against what the fake FCM received. See soak/__main__.py for the knobs."""
