"""HTTP plumbing shared by the BFF, the CRM and the push endpoints: the app factory, problem
details, dependencies (database session, principals), pagination, the `bff` command."""
