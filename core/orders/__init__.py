"""Orders (requests, paid services, event registrations): the feeds, the app's side and the staff inbox."""
