"""The residents' app backend-for-frontend: screens, people, brands, app auth."""
