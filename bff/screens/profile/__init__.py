"""The Profile screen (APP-PROFILE-01): its route, its one SQL statement and its answer."""
