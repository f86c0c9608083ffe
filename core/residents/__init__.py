"""The resident app's domain side: what an account reaches, its context, inbox, My Data, premise requests
and the screens' display rules."""
